using System.Runtime.CompilerServices;
using Akka.Actor;

namespace Playback;

/// <summary>
/// Starts an ActorSystem's scheduler clock once, from a dedicated thread, before Playback's actors use it.
/// </summary>
/// <remarks>
/// Works around a defect of Akka.NET 1.5.73: <see cref="HashedWheelTimerScheduler"/> starts lazily on its first use.
/// The first caller queues the clock loop with <c>Task.Run</c>, and every caller until that loop has run blocks in
/// <c>.Wait()</c>. When the first use is a call actor's timer in <c>PreStart</c>, that caller is a thread-pool thread:
/// the loop lands on its local queue, and under a burst of new calls every other worker blocks the same way, so nothing
/// runs the loop until the pool has grown past the queued work (seconds to minutes, the whole process silent). Started
/// from a non-pool thread, the loop goes to the global queue and the first free worker runs it. Remove this class when
/// Akka starts its scheduler eagerly or without blocking.
/// </remarks>
internal static class SchedulerWarmup
{
    private static readonly ConditionalWeakTable<ActorSystem, Gate> Gates = new();

    /// <summary>Starts the system's scheduler clock unless this already happened; returns once it runs.</summary>
    /// <param name="system">The ActorSystem Playback runs in.</param>
    /// <returns>True when this call started it; false when it had been done before, the system's scheduler is not Akka's wheel timer (e.g. a test scheduler), or it has shut down.</returns>
    public static bool Run(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (system.Scheduler is not HashedWheelTimerScheduler)
        {
            return false;
        }

        var gate = Gates.GetValue(system, static _ => new Gate());
        lock (gate)
        {
            if (gate.Done)
            {
                return false;
            }

            StartOnDedicatedThread(system.Scheduler);
            gate.Done = true;
            return true;
        }
    }

    private static void StartOnDedicatedThread(IScheduler scheduler)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                // Any registration starts the clock and waits for it; this one does nothing on the next tick.
                scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, static () => { });
            }
            catch (SchedulerException)
            {
                // The system has terminated: there is no clock to start, and whatever Playback does next on it fails on its own.
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        {
            IsBackground = true,
            Name = "playback-scheduler-warmup",
        };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    private sealed class Gate
    {
        public bool Done { get; set; }
    }
}
