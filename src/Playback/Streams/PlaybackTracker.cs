using System.Reactive.Subjects;

namespace Playback;

/// <summary>The published view of one playback: its latest event, a replaying state subject and its completion.</summary>
internal sealed class PlaybackTracker(string callId, string controlId)
{
    private readonly ReplaySubject<PlaybackState> _states = new(1);
    private readonly TaskCompletionSource<PlaybackOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile PlaybackEvent? _last;

    public string CallId { get; } = callId;

    public string ControlId { get; } = controlId;

    public PlaybackEvent? Last => _last;

    public IObservable<PlaybackState> States => _states;

    public Task<PlaybackOutcome> Completion => _completion.Task;

    /// <summary>Applies an event; called under the call channel's lock, in the call's order.</summary>
    public void Apply(PlaybackEvent e)
    {
        var previous = _last;
        _last = e;
        if (previous?.State != e.State)
        {
            _states.OnNext(e.State);
        }

        if (e.State.IsTerminal())
        {
            _states.OnCompleted();
            _completion.TrySetResult(new PlaybackOutcome(e.CallId, e.ControlId, e.State, e.Reason));
        }
    }

    /// <summary>Ends tracking without a terminal state (Playback is shutting down).</summary>
    public void Abandon(Exception error)
    {
        _states.OnError(error);
        _completion.TrySetException(error);
    }
}
