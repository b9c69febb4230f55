using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json.Serialization;

namespace Playback;

/// <summary>Marker for every message about one call; the call id is the routing (and sharding) key.</summary>
internal interface IWithCallId
{
    /// <summary>The call the message is for.</summary>
    string CallId { get; }
}

/// <summary>A command from a caller about one playback; answered with exactly one <see cref="CommandReply"/>.</summary>
internal interface IPlaybackCommand : IWithCallId
{
    string ControlId { get; }

    /// <summary>Which command it is, for the state machine.</summary>
    ApiCommand Kind { get; }

    /// <summary>Its name on the wire, for errors (<see cref="WireNames.Of(ApiCommand)"/> of <see cref="Kind"/>).</summary>
    string Name { get; }

    /// <summary>The command's activity (or the caller's), the parent of the request the actor starts for it (<see cref="TracedCommand"/>).</summary>
    Activity? Trace { get; }
}

/// <summary>
/// What every command carries besides its data: its trace. In this process, the command's activity itself; between
/// cluster nodes, its W3C context (<c>trace</c> in the message's JSON), read on the other node as a parent that is never
/// started (<see cref="PlaybackActivities.FromWire"/>): the request the call's actor starts there names the command's
/// activity as its parent, as it would here.
/// </summary>
internal abstract record TracedCommand
{
    /// <summary>The command's activity (or the caller's), the parent of the command's requests.</summary>
    [JsonIgnore]
    public Activity? Trace { get; init; }

    /// <summary><see cref="Trace"/> as it crosses nodes: written from it, read into it.</summary>
    [JsonInclude]
    [JsonPropertyName("trace")]
    internal WireTrace? WireTrace
    {
        get => PlaybackActivities.ToWire(Trace);
        init => Trace = PlaybackActivities.FromWire(value);
    }
}

/// <summary>Start a playback.</summary>
internal sealed record StartPlay(string CallId, string ControlId, ImmutableArray<MediaItem> Media, PlayOptions Options) : TracedCommand, IPlaybackCommand
{
    public ApiCommand Kind => ApiCommand.Play;

    public string Name => WireNames.Of(Kind);
}

/// <summary>Pause a playback.</summary>
internal sealed record PausePlay(string CallId, string ControlId) : TracedCommand, IPlaybackCommand
{
    public ApiCommand Kind => ApiCommand.Pause;

    public string Name => WireNames.Of(Kind);
}

/// <summary>Resume a playback.</summary>
internal sealed record ResumePlay(string CallId, string ControlId) : TracedCommand, IPlaybackCommand
{
    public ApiCommand Kind => ApiCommand.Resume;

    public string Name => WireNames.Of(Kind);
}

/// <summary>Stop a playback.</summary>
internal sealed record StopPlay(string CallId, string ControlId) : TracedCommand, IPlaybackCommand
{
    public ApiCommand Kind => ApiCommand.Stop;

    public string Name => WireNames.Of(Kind);
}

/// <summary>Set a playback's volume.</summary>
internal sealed record ChangeVolume(string CallId, string ControlId, double Volume) : TracedCommand, IPlaybackCommand
{
    public ApiCommand Kind => ApiCommand.Volume;

    public string Name => WireNames.Of(Kind);
}

/// <summary>The one reply to a command.</summary>
internal abstract record CommandReply;

/// <summary>The command succeeded; the playback's state afterwards.</summary>
internal sealed record CommandSucceeded(PlaybackSnapshot Playback) : CommandReply;

/// <summary>The command failed.</summary>
internal sealed record CommandFailed(PlaybackException Error) : CommandReply;

/// <summary>Why the state machine refused a command without sending anything.</summary>
internal enum RefusalKind
{
    /// <summary>The command does not apply in its playback's state (or the call is busy and the play asked to be rejected).</summary>
    State,

    /// <summary>The call is gone.</summary>
    CallGone,
}

/// <summary>
/// The state machine refused the command at once, nothing was sent. The actor turns it into the exception its caller
/// gets (<see cref="CommandErrors.ToException(string, CommandRefused)"/>): the pure rules do not build exceptions.
/// </summary>
/// <param name="Command">The command refused (a play that waited for a replacing stop is refused as a play).</param>
/// <param name="ControlId">The playback.</param>
/// <param name="Kind">Why.</param>
/// <param name="Message">The explanation (for <see cref="RefusalKind.CallGone"/>: why the call is gone).</param>
/// <param name="State">The playback's state, when it has one.</param>
internal sealed record CommandRefused(ApiCommand Command, string ControlId, RefusalKind Kind, string Message, PlaybackState? State) : CommandReply;

/// <summary>A <c>calling.call.play</c> webhook.</summary>
internal sealed record PlayStatusReceived(string CallId, string ControlId, ReportedPlayState State, DateTimeOffset? Timestamp) : IWithCallId
{
    /// <summary>The webhook's activity, which the call's actor links to the play's; never serialized.</summary>
    [JsonIgnore]
    public Activity? Trace { get; init; }
}

/// <summary>A <c>calling.call.state</c> webhook.</summary>
internal sealed record CallStateReceived(string CallId, ReportedCallState CallState, DateTimeOffset? Timestamp) : IWithCallId;

/// <summary>A playback's watchdog fired; <paramref name="Retry"/> when it tries again after its own stop failed.</summary>
internal sealed record StatusTimedOut(string ControlId, bool Retry = false);

/// <summary>The settle timer of an unconfirmed play fired: its stop is tried again.</summary>
internal sealed record SettleAgain(string ControlId);

/// <summary>The outcome of the call's REST request, piped back to the actor.</summary>
internal sealed record RequestCompleted(long Sequence, Exception? Error);
