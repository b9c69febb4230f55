using System.Collections.Immutable;

namespace Playback;

/// <summary>A REST command the state machine wants sent.</summary>
internal enum ApiCommand
{
    Play,
    Pause,
    Resume,
    Stop,
    Volume,
}

/// <summary>One request to the Calling API.</summary>
internal sealed record ApiRequest(ApiCommand Command, string ControlId)
{
    public ImmutableArray<MediaItem> Media { get; init; } = ImmutableArray<MediaItem>.Empty;

    public PlayOptions? Options { get; init; }

    public double Volume { get; init; }
}

/// <summary>What a transition asks its actor to do.</summary>
internal abstract record Effect;

/// <summary>Send a request; the call is busy until its outcome is applied.</summary>
internal sealed record SendRequest(ApiRequest Request) : Effect;

/// <summary>Reply to the caller of the command being handled.</summary>
internal sealed record ReplyToCaller(CommandReply Reply) : Effect;

/// <summary>Publish a playback change.</summary>
internal sealed record Publish(PlaybackEvent Event) : Effect;

/// <summary>Arm (restart) or disarm the no-news watchdog of a playback.</summary>
internal sealed record Watch(string ControlId, bool On) : Effect
{
    /// <summary>Fire after the settle retry delay, not the status timeout: the watchdog waited for another request, or its own stop failed.</summary>
    public bool Soon { get; init; }

    /// <summary>The watchdog's own stop failed: the firing that tries again is not a new silence (not warned of or counted again).</summary>
    public bool Retry { get; init; }
}

/// <summary>Try the stop that settles an unconfirmed play again after a while.</summary>
internal sealed record SettleLater(string ControlId) : Effect;

/// <summary>The call is gone: fail waiting commands and stop the call's actor.</summary>
internal sealed record EndCall(string Reason) : Effect;

/// <summary>The result of applying one input.</summary>
internal sealed record Transition(CallPlaybacks State, ImmutableArray<Effect> Effects, WebhookResult? Webhook = null);

/// <summary>The request on the wire: what it is, and whether a caller waits for it.</summary>
internal sealed record InFlightRequest(ApiRequest Request, bool HasCaller)
{
    /// <summary>A stop sent to settle a play whose outcome was unknown.</summary>
    public bool Settles { get; init; }

    /// <summary>The stop the watchdog sent to a playing playback that had no news: its answer decides how the playback ends.</summary>
    public bool WatchdogStop { get; init; }

    /// <summary>The failure of the play being settled, reported to its caller once the stop's outcome is known (null when the stop is tried again later, without a caller).</summary>
    public PlaybackException? Error { get; init; }

    /// <summary>
    /// A webhook for its control id, newer than the playback's last acknowledged command, reported the state this command
    /// asks for (paused for a pause, playing for a resume) while it was on the wire: evidence that it landed, should its
    /// answer be lost.
    /// </summary>
    public bool Confirmed { get; init; }
}
