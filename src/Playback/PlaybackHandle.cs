namespace Playback;

/// <summary>One playback started through <see cref="PlaybackManager.PlayAsync"/>: its state, its state stream, its completion, and its controls.</summary>
public sealed class PlaybackHandle
{
    private readonly PlaybackManager _manager;
    private readonly PlaybackTracker _tracker;
    private readonly PlaybackSnapshot? _accepted;

    internal PlaybackHandle(PlaybackManager manager, PlaybackTracker tracker, PlaybackSnapshot? accepted, bool isTracked)
    {
        _manager = manager;
        _tracker = tracker;
        _accepted = accepted;
        IsTracked = isTracked;
    }

    /// <summary>The call.</summary>
    public string CallId => _tracker.CallId;

    /// <summary>The control id (generated UUID v4 unless <see cref="PlayOptions.ControlId"/> was given).</summary>
    public string ControlId => _tracker.ControlId;

    /// <summary>
    /// Whether the play was sent with a <c>status_url</c>, so that webhooks report its progress and its end. False only for
    /// plays allowed by <see cref="PlaybackSettings.AllowUntrackedPlays"/>: such a play stays Playing (no webhooks, no
    /// watchdog) until it is stopped, the call ends, or Playback shuts down; <see cref="Completion"/> completes then.
    /// </summary>
    public bool IsTracked { get; }

    /// <summary>The latest state (in a cluster, until an event newer than the play's reply arrives from the call's node: the state the reply reported).</summary>
    public PlaybackState Current => LastEvent?.State ?? _accepted?.State ?? PlaybackState.Queued;

    /// <summary>The latest volume in dB.</summary>
    public double Volume => LastEvent?.Volume ?? _accepted?.Volume ?? 0;

    /// <summary>Why the playback is in its state, when known (e.g. the reason it failed).</summary>
    public string? Reason => LastEvent?.Reason ?? _accepted?.Reason;

    /// <summary>
    /// The tracker's last event, or null while it is older than the play's reply: in a cluster the reply (Playing or later)
    /// can overtake the Queued/Starting events, and a play never goes back to Queued or Starting once accepted.
    /// </summary>
    private PlaybackEvent? LastEvent
    {
        get
        {
            var last = _tracker.Last;
            return last is { State: PlaybackState.Queued or PlaybackState.Starting } && _accepted is { State: not (PlaybackState.Queued or PlaybackState.Starting) }
                ? null
                : last;
        }
    }

    /// <summary>
    /// The state stream: replays the current state to each new subscriber, then every change, and completes after the
    /// terminal state. Delivered off the actor threads, each subscriber on its own queue. Every subscriber that subscribed
    /// before the playback ended has returned from the terminal state's <c>OnNext</c> (or thrown, or unsubscribed) before
    /// <see cref="Completion"/> completes; do not block on <see cref="Completion"/> inside that <c>OnNext</c>.
    /// </summary>
    public IObservable<PlaybackState> States => _manager.Hub.StatesOf(_tracker);

    /// <summary>
    /// Completes with the terminal state and reason, after every <see cref="States"/> subscriber that subscribed before the
    /// end has received the terminal state (a slow subscriber delays it; the actor and other subscribers never wait). Faults
    /// with <see cref="PlaybackShutdownException"/> if Playback shuts down first, likewise after those subscribers' <c>OnError</c>.
    /// </summary>
    public Task<PlaybackOutcome> Completion => _tracker.Completion;

    /// <summary>Pauses the playback (succeeds at once when already paused).</summary>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="PlaybackStateException">The playback is not active.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    public Task<PlaybackSnapshot> PauseAsync(CancellationToken cancellationToken = default) => _manager.PauseAsync(CallId, ControlId, cancellationToken);

    /// <summary>Resumes the playback (succeeds at once when already playing).</summary>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="PlaybackStateException">The playback is not active.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    public Task<PlaybackSnapshot> ResumeAsync(CancellationToken cancellationToken = default) => _manager.ResumeAsync(CallId, ControlId, cancellationToken);

    /// <summary>Sets the volume, in dB from -40 to 40.</summary>
    /// <param name="db">The new absolute level.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="ArgumentException"><paramref name="db"/> is out of range.</exception>
    /// <exception cref="PlaybackStateException">The playback has ended.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    public Task<PlaybackSnapshot> SetVolumeAsync(double db, CancellationToken cancellationToken = default) => _manager.SetVolumeAsync(CallId, ControlId, db, cancellationToken);

    /// <summary>Stops the playback (a queued one is dropped without a request).</summary>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="PlaybackStateException">The playback has ended.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    public Task<PlaybackSnapshot> StopAsync(CancellationToken cancellationToken = default) => _manager.StopAsync(CallId, ControlId, cancellationToken);

    /// <inheritdoc />
    public override string ToString() => $"Playback {ControlId} on call {CallId}: {Current}";
}
