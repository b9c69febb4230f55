using System.Collections.Concurrent;
using System.Diagnostics;

namespace Playback.Tests;

/// <summary>
/// The trace of a command reaches each of its attempts: the client reads the thread's outgoing command synchronously as a
/// request starts (<see cref="PlaybackActivities.Outgoing"/>), and a retry runs later, outside the section that set it, often on another thread.
/// </summary>
public sealed partial class ResilientCallingApiTests
{
    [Fact]
    public async Task Every_attempt_including_a_later_retry_starts_as_its_commands_outgoing_request_and_no_thread_keeps_it()
    {
        var api = Create();
        var seen = new ConcurrentQueue<Activity?>();
        var n = 0;
        _inner.Respond = r =>
        {
            seen.Enqueue(PlaybackActivities.Outgoing);
            _arrived.Release();
            return Interlocked.Increment(ref n) == 1 ? Task.FromException(Status(r, 503)) : Task.CompletedTask;
        };
        using var command = new Activity("playback.play").Start();
        Activity.Current = null;

        Task play;
        using (PlaybackActivities.Resume(command))
        {
            play = Play(api);
        }

        Assert.Null(PlaybackActivities.Outgoing);
        await _clock.RunAsync(play, AttemptTimeout);
        await play.WaitAsync(TimerClock.Guard);

        Assert.Equal([command, command], seen);
        Assert.Null(PlaybackActivities.Outgoing);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_failure_that_is_not_the_apis_is_the_commands_own_failure_after_one_attempt_with_the_rate_limiter_on_or_off(bool rateLimited)
    {
        var api = Create(new ResilienceSettings { RateLimit = rateLimited ? 13_800 : 0 });
        var bug = new InvalidOperationException("the client's own bug");
        Answer(_ => bug);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Play(api).WaitAsync(TimerClock.Guard));

        Assert.Same(bug, error);
        Assert.Single(_inner.Requests);
        Assert.Equal(0, api.Retries);
    }
}
