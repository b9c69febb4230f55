namespace Playback;

/// <summary>Base type of the errors Playback reports for a command; carries the call and control ids it concerns.</summary>
public abstract class PlaybackException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="callId">The call concerned.</param>
    /// <param name="controlId">The playback concerned, when there is one.</param>
    /// <param name="inner">The underlying error.</param>
    protected PlaybackException(string message, string? callId, string? controlId, Exception? inner = null)
        : base(message, inner)
    {
        CallId = callId;
        ControlId = controlId;
    }

    /// <summary>The call the command was for.</summary>
    public string? CallId { get; }

    /// <summary>The playback's control id, when the command concerned one.</summary>
    public string? ControlId { get; }

    /// <summary>
    /// True when the server may have applied the command although it failed, so do not send it again blindly (see what the
    /// call plays: <c>FindAsync</c>, <c>Snapshot</c>, its webhooks, or stop it). A <see cref="CallingApiException"/>: an
    /// attempt was sent and got no answer (timeout, connection lost after sending), a 5xx, or was cancelled while out, so
    /// its outcome is unknown. A <see cref="PlaybackShutdownException"/>: the request was on the wire when the call's actor
    /// stopped, Playback shut down while the caller waited, or a store records it for the call's next actor to send.
    /// False when nothing was sent. Playback never reads an error's wording to decide; this flag, the status, the
    /// structure of <c>errors[]</c> and webhooks for the control id are what it goes by (see the README's failure handling).
    /// </summary>
    public bool MayHaveBeenApplied { get; init; }
}

/// <summary>A command that the playback's current state does not allow: no active playback with that control id, a control id already in use, a queued playback that has not started, or a play rejected because the call is busy.</summary>
public sealed class PlaybackStateException : PlaybackException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="state">The playback's state when the command arrived, when it is known.</param>
    public PlaybackStateException(string message, string callId, string? controlId, PlaybackState? state)
        : base(message, callId, controlId)
    {
        State = state;
    }

    /// <summary>The playback's state when the command arrived; null when Playback did not know the control id.</summary>
    public PlaybackState? State { get; }
}

/// <summary>
/// The command could not complete because Playback (its actor system) is shutting down, or because the actor running its
/// call stopped before it (the message says which, and whether anything was sent).
/// </summary>
public sealed class PlaybackShutdownException : PlaybackException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was not completed.</param>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    public PlaybackShutdownException(string message, string? callId, string? controlId)
        : base(message, callId, controlId)
    {
    }
}

/// <summary>
/// In a cluster: the call's actor moved to another node (its node left) before the command was sent to the Calling API.
/// Nothing was sent for it, so it is safe to send again; <see cref="PlaybackManager"/> does so once by itself and reports
/// this only when the command met a second move.
/// </summary>
public sealed class PlaybackMovedException : PlaybackException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was not run and why.</param>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    public PlaybackMovedException(string message, string? callId, string? controlId)
        : base(message, callId, controlId)
    {
    }
}

/// <summary>
/// In a cluster: the node that ran the call's actor was lost (crashed or cut off and removed from the cluster) after the
/// command reached it. Whether the Calling API received the command is unknown: check the playback's state (events,
/// <see cref="PlaybackManager.Snapshot(string)"/>) before sending it again.
/// </summary>
public sealed class PlaybackNodeLostException : PlaybackException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was lost.</param>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    public PlaybackNodeLostException(string message, string? callId, string? controlId)
        : base(message, callId, controlId)
    {
    }
}

/// <summary>
/// The playback store (<see cref="PlaybackSettings.Persistence"/>) failed: it could not be opened at start, or a command's
/// intent could not be recorded, so the command was not sent. The message names the provider and the connection string
/// without its password.
/// </summary>
public sealed class PlaybackStoreException : PlaybackException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="inner">The database's error.</param>
    /// <param name="callId">The call, when the failure concerns one.</param>
    /// <param name="controlId">The playback, when the failure concerns one.</param>
    public PlaybackStoreException(string message, Exception? inner = null, string? callId = null, string? controlId = null)
        : base(message, callId, controlId, inner)
    {
    }
}
