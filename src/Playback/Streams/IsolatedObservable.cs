using System.Reactive.Concurrency;
using System.Reactive.Linq;

namespace Playback;

/// <summary>
/// Delivers a source to each subscriber on its own serialized queue on the given scheduler, so subscriber code never runs
/// on the publishing (actor) thread, a slow subscriber delays only itself, and a throwing subscriber is unsubscribed
/// (and reported) instead of breaking the publisher or the other subscribers.
/// </summary>
internal sealed class IsolatedObservable<T>(IObservable<T> source, IScheduler scheduler, Action<Exception> onSubscriberError) : IObservable<T>
{
    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var guard = new GuardObserver(observer, onSubscriberError);
        guard.Attach(source.ObserveOn(scheduler).Subscribe(guard));
        return guard;
    }

    private sealed class GuardObserver(IObserver<T> inner, Action<Exception> onSubscriberError) : IObserver<T>, IDisposable
    {
        private IDisposable? _subscription;
        private int _stopped;

        public void Attach(IDisposable subscription)
        {
            if (Interlocked.CompareExchange(ref _subscription, subscription, null) is not null || Volatile.Read(ref _stopped) == 1)
            {
                subscription.Dispose();
            }
        }

        public void OnNext(T value)
        {
            if (Volatile.Read(ref _stopped) == 1)
            {
                return;
            }

            try
            {
                inner.OnNext(value);
            }
            catch (Exception e)
            {
                Dispose();
                onSubscriberError(e);
            }
        }

        public void OnError(Exception error)
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 0)
            {
                Guard(() => inner.OnError(error));
            }
        }

        public void OnCompleted()
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 0)
            {
                Guard(inner.OnCompleted);
            }
        }

        public void Dispose()
        {
            Interlocked.Exchange(ref _stopped, 1);
            Interlocked.Exchange(ref _subscription, NoSubscription.Instance)?.Dispose();
        }

        private void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                onSubscriberError(e);
            }
            finally
            {
                Dispose();
            }
        }
    }

    private sealed class NoSubscription : IDisposable
    {
        public static readonly NoSubscription Instance = new();

        public void Dispose()
        {
        }
    }
}
