using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace Playback;

/// <summary>
/// Receives every playback event from the call actors and publishes it to the Rx streams: all calls, per call
/// (replaying the current state of the call's playbacks first) and per playback (<see cref="PlaybackHandle.States"/>).
/// Publishing only enqueues: subscriber code runs on the delivery scheduler, never on the actor's thread.
/// </summary>
internal sealed class PlaybackEventHub
{
    private readonly ConcurrentDictionary<string, CallChannel> _calls = new(StringComparer.Ordinal);
    private readonly Subject<PlaybackEvent> _all = new();
    private readonly object _allGate = new();
    private readonly IScheduler _scheduler;
    private readonly Action<Exception> _onSubscriberError;
    private volatile bool _completed;

    public PlaybackEventHub(IScheduler? scheduler, Action<Exception> onSubscriberError)
    {
        // Each subscriber's queue is drained on pool threads, one work item per value (no thread parked per subscription).
        _scheduler = scheduler ?? new PoolScheduler(onSubscriberError);
        _onSubscriberError = onSubscriberError;
        Events = new IsolatedObservable<PlaybackEvent>(_all.AsObservable(), _scheduler, onSubscriberError);
    }

    public IObservable<PlaybackEvent> Events { get; }

    public IObservable<PlaybackEvent> EventsFor(string callId) =>
        new IsolatedObservable<PlaybackEvent>(Observable.Create<PlaybackEvent>(observer => SubscribeCall(callId, observer)), _scheduler, _onSubscriberError);

    /// <summary>A playback's states; the tracker's completion waits until each subscriber has had the terminal state.</summary>
    public IObservable<PlaybackState> StatesOf(PlaybackTracker tracker) =>
        new IsolatedObservable<PlaybackState>(tracker.States, _scheduler, _onSubscriberError, tracker.Delivery);

    /// <summary>Registers a playback before its play is sent, so that its handle sees every event.</summary>
    /// <returns>The tracker, and whether this call created it.</returns>
    public (PlaybackTracker Tracker, bool Created) Track(string callId, string controlId)
    {
        var channel = EnterChannel(callId);
        try
        {
            if (channel.Find(controlId) is { } existing)
            {
                return (existing, false);
            }

            var tracker = new PlaybackTracker(callId, controlId);
            channel.Trackers.Add(tracker);
            return (tracker, true);
        }
        finally
        {
            Monitor.Exit(channel);
        }
    }

    /// <summary>Forgets a tracker that never received an event (its play was refused before anything happened).</summary>
    public void Untrack(PlaybackTracker tracker)
    {
        if (_calls.TryGetValue(tracker.CallId, out var channel))
        {
            lock (channel)
            {
                if (tracker.Last is null && channel.Trackers.Remove(tracker))
                {
                    RemoveIfUnused(channel);
                }
            }
        }
    }

    /// <summary>Publishes one event. Called by the call's actor, in order.</summary>
    public void Publish(PlaybackEvent e)
    {
        if (_completed)
        {
            return;
        }

        var channel = EnterChannel(e.CallId);
        try
        {
            var tracker = channel.Find(e.ControlId);
            if (tracker is null && !e.State.IsTerminal())
            {
                tracker = new PlaybackTracker(e.CallId, e.ControlId);
                channel.Trackers.Add(tracker);
            }

            tracker?.Apply(e);
            if (e.State.IsTerminal() && tracker is not null)
            {
                channel.Trackers.Remove(tracker);
            }

            channel.Subject?.OnNext(e);
            RemoveIfUnused(channel);
        }
        finally
        {
            Monitor.Exit(channel);
        }

        lock (_allGate)
        {
            _all.OnNext(e);
        }
    }

    /// <summary>The latest state of each playback of the call that has not ended.</summary>
    public IReadOnlyList<PlaybackSnapshot> Snapshot(string callId)
    {
        if (!_calls.TryGetValue(callId, out var channel))
        {
            return [];
        }

        lock (channel)
        {
            return channel.Trackers
                .Select(t => t.Last)
                .OfType<PlaybackEvent>()
                .Select(e => new PlaybackSnapshot(e.CallId, e.ControlId, e.State, e.Volume, e.Reason))
                .ToList();
        }
    }

    /// <summary>Completes every stream; playbacks that had not ended fail their handles with <paramref name="error"/>.</summary>
    public void Complete(Exception error)
    {
        _completed = true;
        foreach (var channel in _calls.Values)
        {
            lock (channel)
            {
                foreach (var tracker in channel.Trackers)
                {
                    tracker.Abandon(error);
                }

                channel.Trackers.Clear();
                channel.Subject?.OnCompleted();
                channel.Removed = true;
            }
        }

        _calls.Clear();
        lock (_allGate)
        {
            _all.OnCompleted();
        }
    }

    private IDisposable SubscribeCall(string callId, IObserver<PlaybackEvent> observer)
    {
        if (_completed)
        {
            observer.OnCompleted();
            return System.Reactive.Disposables.Disposable.Empty;
        }

        var channel = EnterChannel(callId);
        try
        {
            // Replay and subscribe under the channel's lock: no event is missed or seen twice.
            foreach (var tracker in channel.Trackers)
            {
                if (tracker.Last is { } last)
                {
                    observer.OnNext(last);
                }
            }

            channel.Subscribers++;
            var subscription = (channel.Subject ??= new Subject<PlaybackEvent>()).Subscribe(observer);
            return System.Reactive.Disposables.Disposable.Create(() =>
            {
                subscription.Dispose();
                lock (channel)
                {
                    channel.Subscribers--;
                    RemoveIfUnused(channel);
                }
            });
        }
        finally
        {
            Monitor.Exit(channel);
        }
    }

    /// <summary>
    /// The call's channel with its lock held (the caller releases it with <see cref="Monitor.Exit(object)"/>). A channel
    /// removed between the lookup and the lock is skipped, so the caller always works on the live one.
    /// </summary>
    private CallChannel EnterChannel(string callId)
    {
        while (true)
        {
            var channel = _calls.GetOrAdd(callId, static id => new CallChannel(id));
            Monitor.Enter(channel);
            if (!channel.Removed)
            {
                return channel;
            }

            Monitor.Exit(channel);
        }
    }

    private void RemoveIfUnused(CallChannel channel)
    {
        if (channel.Trackers.Count == 0 && channel.Subscribers == 0 && !channel.Removed)
        {
            channel.Removed = true;
            _calls.TryRemove(new KeyValuePair<string, CallChannel>(channel.CallId, channel));
        }
    }

    /// <summary>A call's trackers and subscribers; locked on itself.</summary>
    private sealed class CallChannel(string callId)
    {
        /// <summary>
        /// The trackers of the call's playbacks that have not ended, found by control id: a call has one or a few at a time,
        /// and a list costs about 160 B less per live call than a dictionary (and a separate lock object 24 B more).
        /// </summary>
        public readonly List<PlaybackTracker> Trackers = new(1);

        /// <summary>Created by the first <c>EventsFor</c> subscriber.</summary>
        public Subject<PlaybackEvent>? Subject;

        public string CallId { get; } = callId;

        public int Subscribers { get; set; }

        public bool Removed { get; set; }

        public PlaybackTracker? Find(string controlId)
        {
            foreach (var tracker in Trackers)
            {
                if (string.Equals(tracker.ControlId, controlId, StringComparison.Ordinal))
                {
                    return tracker;
                }
            }

            return null;
        }
    }
}
