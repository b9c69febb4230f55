using System.Reactive.Concurrency;

namespace Playback;

/// <summary>
/// Where subscribers' queues are drained by default (<see cref="IsolatedObservable{T}"/>'s <c>ObserveOn</c>, which schedules
/// one action per value): each action is one thread-pool work item. Rx's <c>TaskPoolScheduler</c> makes a task, a
/// cancellation source, a disposable and two closures per action (about 17 % of what a webhook allocated in the benchmark,
/// with one subscriber), and its long-running mode parks a thread per subscription; this makes one small object per action
/// and has no long-running mode. Actions run without the scheduling thread's execution context (no ambient activity or
/// async-locals of the call actor's thread leak into subscribers).
/// </summary>
internal sealed class PoolScheduler(Action<Exception> onError) : LocalScheduler
{
    public override IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        var due = Scheduler.Normalize(dueTime);
        var item = new WorkItem<TState>(this, state, action, onError);
        if (due == TimeSpan.Zero)
        {
            ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
        }
        else
        {
            // Not what ObserveOn asks for; kept correct for any other use. Started once assigned, so that Execute always sees it.
            item.Timer = new Timer(static i => ThreadPool.UnsafeQueueUserWorkItem((IThreadPoolWorkItem)i!, preferLocal: false), item, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            item.Timer.Change(due, Timeout.InfiniteTimeSpan);
        }

        return item;
    }

    /// <summary>One scheduled action: run once by the pool, unless disposed first. Internal for tests.</summary>
    internal sealed class WorkItem<TState>(IScheduler scheduler, TState state, Func<IScheduler, TState, IDisposable> action, Action<Exception> onError) : IThreadPoolWorkItem, IDisposable
    {
        private static readonly IDisposable Disposed = new Sentinel();
        private IDisposable? _cancel; // null: not run yet; Disposed; or what the action returned

        public Timer? Timer { get; set; }

        public void Execute()
        {
            Timer?.Dispose();
            if (Volatile.Read(ref _cancel) is not null)
            {
                return; // disposed before it ran
            }

            IDisposable result;
            try
            {
                result = action(scheduler, state);
            }
            catch (Exception e)
            {
                // Subscribers' exceptions are caught by IsolatedObservable; this is a bug of Playback's, reported, never a crash.
                try
                {
                    onError(e);
                }
                catch (Exception)
                {
                    // The report failed too: nothing more to do on a pool thread.
                }

                return;
            }

            if (Interlocked.CompareExchange(ref _cancel, result, null) is not null)
            {
                result.Dispose(); // disposed while it ran
            }
        }

        public void Dispose()
        {
            Timer?.Dispose();
            var old = Interlocked.Exchange(ref _cancel, Disposed);
            if (old is not null && !ReferenceEquals(old, Disposed))
            {
                old.Dispose();
            }
        }

        private sealed class Sentinel : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }
}
