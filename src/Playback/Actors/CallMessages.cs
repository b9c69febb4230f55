using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json.Serialization;

namespace Playback;

/// <summary>Marker for every message about one call; the call id is the routing (and sharding) key.</summary>
public interface IWithCallId
{
    /// <summary>The call the message is for.</summary>
    string CallId { get; }
}

/// <summary>A command from a caller about one playback; answered with exactly one <see cref="CommandReply"/>.</summary>
internal interface IPlaybackCommand : IWithCallId
{
    string ControlId { get; }

    string Name { get; }

    /// <summary>The command's activity (or the caller's), current on the actor while it starts the command's request; never serialized.</summary>
    Activity? Trace { get; }
}

/// <summary>Start a playback.</summary>
internal sealed record StartPlay(string CallId, string ControlId, ImmutableArray<MediaItem> Media, PlayOptions Options) : IPlaybackCommand
{
    public string Name => CallingApi.Commands.Play;

    [JsonIgnore]
    public Activity? Trace { get; init; }
}

/// <summary>Pause a playback.</summary>
internal sealed record PausePlay(string CallId, string ControlId) : IPlaybackCommand
{
    public string Name => CallingApi.Commands.Pause;

    [JsonIgnore]
    public Activity? Trace { get; init; }
}

/// <summary>Resume a playback.</summary>
internal sealed record ResumePlay(string CallId, string ControlId) : IPlaybackCommand
{
    public string Name => CallingApi.Commands.Resume;

    [JsonIgnore]
    public Activity? Trace { get; init; }
}

/// <summary>Stop a playback.</summary>
internal sealed record StopPlay(string CallId, string ControlId) : IPlaybackCommand
{
    public string Name => CallingApi.Commands.Stop;

    [JsonIgnore]
    public Activity? Trace { get; init; }
}

/// <summary>Set a playback's volume.</summary>
internal sealed record ChangeVolume(string CallId, string ControlId, double Volume) : IPlaybackCommand
{
    public string Name => CallingApi.Commands.Volume;

    [JsonIgnore]
    public Activity? Trace { get; init; }
}

/// <summary>The one reply to a command.</summary>
internal abstract record CommandReply;

/// <summary>The command succeeded; the playback's state afterwards.</summary>
internal sealed record CommandSucceeded(PlaybackSnapshot Playback) : CommandReply;

/// <summary>The command failed.</summary>
internal sealed record CommandFailed(PlaybackException Error) : CommandReply;

/// <summary>A <c>calling.call.play</c> webhook.</summary>
internal sealed record PlayStatusReceived(string CallId, string ControlId, string State, DateTimeOffset? Timestamp) : IWithCallId
{
    /// <summary>The webhook's activity, which the call's actor links to the play's; never serialized.</summary>
    [JsonIgnore]
    public Activity? Trace { get; init; }
}

/// <summary>A <c>calling.call.state</c> webhook.</summary>
internal sealed record CallStateReceived(string CallId, string CallState, DateTimeOffset? Timestamp) : IWithCallId;

/// <summary>A playback's watchdog fired.</summary>
internal sealed record StatusTimedOut(string ControlId);

/// <summary>The settle timer of an unconfirmed play fired: its stop is tried again.</summary>
internal sealed record SettleAgain(string ControlId);

/// <summary>The outcome of the call's REST request, piped back to the actor.</summary>
internal sealed record RequestCompleted(long Sequence, Exception? Error);

/// <summary>In a cluster: the call actor received a command (sent to the command's sender before anything else, so that it can watch the actor's node).</summary>
internal sealed class CommandReceived
{
    public static readonly CommandReceived Instance = new();

    private CommandReceived()
    {
    }
}

/// <summary>
/// In a cluster: the state a call actor hands to its successor when its node leaves (sent through the shard region, which
/// holds it until the call's new home is known). Carries what the events cannot: queued media, options, the ended ids.
/// </summary>
internal sealed record CallHandoff(string CallId, ImmutableArray<PlaybackEntry> Playbacks, ImmutableList<string> Queue, ImmutableList<string> Ended) : IWithCallId;

/// <summary>In a cluster: the shard's stop message for a call actor whose node is leaving (hand off, then stop).</summary>
internal sealed class HandOffCall
{
    public static readonly HandOffCall Instance = new();

    private HandOffCall()
    {
    }
}

/// <summary>The wait for a <see cref="CallHandoff"/> ended.</summary>
internal sealed class RestoreTimedOut
{
    public static readonly RestoreTimedOut Instance = new();

    private RestoreTimedOut()
    {
    }
}
