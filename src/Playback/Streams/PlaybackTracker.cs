using System.Reactive.Subjects;

namespace Playback;

/// <summary>
/// The published view of one playback: its latest event, a replaying state subject and its completion. The subject and
/// the completion source are created on first use, so that a call nobody watches costs only the latest event.
/// </summary>
/// <remarks>
/// Ordering: the completion is released only once every <see cref="PlaybackHandle.States"/> subscriber that subscribed
/// before the end has had the end delivered (returned from the terminal state's <c>OnNext</c> or from <c>OnError</c>,
/// thrown, or unsubscribed). The actor never waits for that: it only publishes; the last subscriber's delivery releases
/// the completion from the delivery thread.
/// </remarks>
internal sealed class PlaybackTracker
{
    private readonly object _gate = new();
    private ReplaySubject<PlaybackState>? _states;
    private TaskCompletionSource<PlaybackOutcome>? _completion;
    private PlaybackOutcome? _outcome;
    private Exception? _abandoned;
    private volatile PlaybackEvent? _last;

    /// <summary>States subscribers from before the end that have not had it delivered yet.</summary>
    private int _pendingDeliveries;

    /// <summary>Whether the end (outcome or abandonment) may be seen through <see cref="Completion"/>.</summary>
    private bool _released;

    public PlaybackTracker(string callId, string controlId)
    {
        CallId = callId;
        ControlId = controlId;
        Delivery = new DeliveryTracking<PlaybackState>(EnterDelivery, static state => state.IsTerminal());
    }

    public string CallId { get; }

    public string ControlId { get; }

    /// <summary>How the <see cref="PlaybackHandle.States"/> subscribers report that they have had the end.</summary>
    public DeliveryTracking<PlaybackState> Delivery { get; }

    public PlaybackEvent? Last => _last;

    /// <summary>Replays the current state (or the terminal one, then completion) to each subscriber.</summary>
    public IObservable<PlaybackState> States
    {
        get
        {
            lock (_gate)
            {
                if (_states is null)
                {
                    _states = new ReplaySubject<PlaybackState>(1);
                    if (_last is { } last)
                    {
                        _states.OnNext(last.State);
                    }

                    if (_outcome is not null)
                    {
                        _states.OnCompleted();
                    }
                    else if (_abandoned is not null)
                    {
                        _states.OnError(_abandoned);
                    }
                }

                return _states;
            }
        }
    }

    public Task<PlaybackOutcome> Completion
    {
        get
        {
            lock (_gate)
            {
                if (_completion is null)
                {
                    _completion = new TaskCompletionSource<PlaybackOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (_released)
                    {
                        CompleteCompletion();
                    }
                }

                return _completion.Task;
            }
        }
    }

    /// <summary>Applies an event; called under the call channel's lock, in the call's order.</summary>
    public void Apply(PlaybackEvent e)
    {
        lock (_gate)
        {
            var previous = _last;
            _last = e;
            if (previous?.State != e.State)
            {
                _states?.OnNext(e.State);
            }

            if (e.State.IsTerminal() && _outcome is null)
            {
                _outcome = new PlaybackOutcome(e.CallId, e.ControlId, e.State, e.Reason);
                _states?.OnCompleted();
                ReleaseWhenDelivered();
            }
        }
    }

    /// <summary>Ends tracking without a terminal state (Playback is shutting down).</summary>
    public void Abandon(Exception error)
    {
        lock (_gate)
        {
            if (_outcome is not null || _abandoned is not null)
            {
                return;
            }

            _abandoned = error;
            _states?.OnError(error);
            ReleaseWhenDelivered();
        }
    }

    /// <summary>A States subscriber arrives: until the end, its delivery of the end holds the completion back.</summary>
    private IDisposable? EnterDelivery()
    {
        lock (_gate)
        {
            if (_outcome is not null || _abandoned is not null)
            {
                return null;
            }

            _pendingDeliveries++;
            return new DeliveryLease(this);
        }
    }

    private void ExitDelivery()
    {
        lock (_gate)
        {
            _pendingDeliveries--;
            ReleaseWhenDelivered();
        }
    }

    /// <summary>Under the lock: once the playback has ended and no subscriber is still being given the end, completes.</summary>
    private void ReleaseWhenDelivered()
    {
        if (_released || _pendingDeliveries > 0 || (_outcome is null && _abandoned is null))
        {
            return;
        }

        _released = true;
        if (_completion is not null)
        {
            CompleteCompletion();
        }
    }

    private void CompleteCompletion()
    {
        // Continuations run asynchronously (see the source's options), never under the lock or on the actor's thread.
        if (_outcome is not null)
        {
            _completion!.TrySetResult(_outcome);
        }
        else
        {
            _completion!.TrySetException(_abandoned!);
        }
    }

    private sealed class DeliveryLease(PlaybackTracker tracker) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                tracker.ExitDelivery();
            }
        }
    }
}
