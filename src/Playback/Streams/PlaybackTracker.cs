using System.Reactive.Subjects;

namespace Playback;

/// <summary>
/// The published view of one playback: its latest event, a replaying state subject and its completion. The subject and
/// the completion source are created on first use, so that a call nobody watches costs only the latest event.
/// </summary>
internal sealed class PlaybackTracker(string callId, string controlId)
{
    private readonly object _gate = new();
    private ReplaySubject<PlaybackState>? _states;
    private TaskCompletionSource<PlaybackOutcome>? _completion;
    private PlaybackOutcome? _outcome;
    private Exception? _abandoned;
    private volatile PlaybackEvent? _last;

    public string CallId { get; } = callId;

    public string ControlId { get; } = controlId;

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
                    if (_outcome is not null)
                    {
                        _completion.TrySetResult(_outcome);
                    }
                    else if (_abandoned is not null)
                    {
                        _completion.TrySetException(_abandoned);
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
                _completion?.TrySetResult(_outcome);
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
            _completion?.TrySetException(error);
        }
    }
}
