using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Playback.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports every timer the code under test creates (its due time and period),
/// so a test advances the clock exactly when the code waits for it instead of guessing, and never sleeps.
/// </summary>
public sealed class TimerClock : FakeTimeProvider
{
    /// <summary>How long (real time) a test waits for something that should happen at once; only a guard against hangs.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    private readonly Channel<(TimeSpan Due, TimeSpan Period)> _timers = Channel.CreateUnbounded<(TimeSpan, TimeSpan)>();

    /// <summary>A clock that starts at 2030-01-01 00:00 UTC.</summary>
    public TimerClock()
        : this(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>A clock that starts at <paramref name="start"/>.</summary>
    /// <param name="start">The start time.</param>
    public TimerClock(DateTimeOffset start)
        : base(start)
    {
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite((dueTime, period));
        return timer;
    }

    /// <summary>Waits for the next one-shot timer shorter than <paramref name="shorterThan"/> (a backoff, not a timeout) and returns its due time.</summary>
    /// <param name="shorterThan">Longer timers are passed over.</param>
    /// <returns>The timer's due time.</returns>
    public async Task<TimeSpan> NextDelayAsync(TimeSpan shorterThan)
    {
        using var guard = new CancellationTokenSource(Guard);
        while (true)
        {
            var (due, period) = await _timers.Reader.ReadAsync(guard.Token);
            if (IsDelay(due, period, shorterThan))
            {
                return due;
            }
        }
    }

    /// <summary>
    /// Waits until the code under test starts a one-shot timer of exactly <paramref name="due"/> (earlier timers are passed
    /// over), then advances the clock by that much: the wait elapses, and nothing else that is due later.
    /// </summary>
    /// <param name="due">The timer's due time.</param>
    /// <returns>A task that completes once the clock has advanced.</returns>
    public async Task AdvanceWhenTimerAsync(TimeSpan due)
    {
        using var guard = new CancellationTokenSource(Guard);
        while (true)
        {
            var timer = await _timers.Reader.ReadAsync(guard.Token);
            if (timer.Due == due && timer.Period == Timeout.InfiniteTimeSpan)
            {
                Advance(due);
                return;
            }
        }
    }

    /// <summary>
    /// Lets every backoff (one-shot timer shorter than <paramref name="shorterThan"/>) elapse as soon as the code starts
    /// waiting for it, until <paramref name="task"/> completes; returns the backoffs in order. Does not throw the task's error.
    /// </summary>
    /// <param name="task">The code under test.</param>
    /// <param name="shorterThan">Longer timers (timeouts) are left alone.</param>
    /// <returns>The backoffs, in order.</returns>
    public async Task<IReadOnlyList<TimeSpan>> RunAsync(Task task, TimeSpan shorterThan)
    {
        var delays = new List<TimeSpan>();
        while (!task.IsCompleted)
        {
            await Task.WhenAny(task, _timers.Reader.WaitToReadAsync().AsTask()).WaitAsync(Guard);
            while (_timers.Reader.TryRead(out var timer))
            {
                if (IsDelay(timer.Due, timer.Period, shorterThan))
                {
                    delays.Add(timer.Due);
                    Advance(timer.Due);
                }
            }
        }

        return delays;
    }

    private static bool IsDelay(TimeSpan due, TimeSpan period, TimeSpan shorterThan) =>
        period == Timeout.InfiniteTimeSpan && due > TimeSpan.Zero && due < shorterThan;
}
