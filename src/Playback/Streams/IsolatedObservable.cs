using System.Reactive.Concurrency;
using System.Reactive.Linq;

namespace Playback;

/// <summary>
/// Delivers a source to each subscriber on its own serialized queue on the given scheduler, so subscriber code never runs
/// on the publishing (actor) thread, a slow subscriber delays only itself, and a throwing subscriber is unsubscribed
/// (and reported) instead of breaking the publisher or the other subscribers.
/// </summary>
/// <param name="source">The stream to deliver.</param>
/// <param name="scheduler">Where each subscriber's queue is drained.</param>
/// <param name="onSubscriberError">Reports what a subscriber threw.</param>
/// <param name="delivery">
/// Optional: tells the publisher when each subscriber has had the last value. <see cref="DeliveryTracking{T}.Enter"/> runs
/// at subscribe time and may return a lease; the lease is disposed once the subscriber has returned from a value that
/// <see cref="DeliveryTracking{T}.IsLast"/> accepts, from <c>OnError</c> or <c>OnCompleted</c>, has thrown, or has unsubscribed.
/// </param>
internal sealed class IsolatedObservable<T>(IObservable<T> source, IScheduler scheduler, Action<Exception> onSubscriberError, DeliveryTracking<T>? delivery = null) : IObservable<T>
{
    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var guard = new GuardObserver(observer, onSubscriberError, delivery?.IsLast, delivery?.Enter());
        guard.Attach(source.ObserveOn(scheduler).Subscribe(guard));
        return guard;
    }

    private sealed class GuardObserver(IObserver<T> inner, Action<Exception> onSubscriberError, Func<T, bool>? isLast, IDisposable? lease) : IObserver<T>, IDisposable
    {
        private IDisposable? _subscription;
        private IDisposable? _lease = lease;
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
                return;
            }

            if (isLast?.Invoke(value) == true)
            {
                ReleaseLease();
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
            ReleaseLease();
        }

        private void ReleaseLease() => Interlocked.Exchange(ref _lease, null)?.Dispose();

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

/// <summary>How an <see cref="IsolatedObservable{T}"/> tells its publisher that a subscriber has had the last value.</summary>
/// <param name="Enter">Called when a subscriber subscribes; returns a lease to dispose after its last value, or null when there is nothing to wait for.</param>
/// <param name="IsLast">Whether a value is the last one the publisher waits for.</param>
internal sealed record DeliveryTracking<T>(Func<IDisposable?> Enter, Func<T, bool> IsLast);
