using System.Collections.Concurrent;
using Akka.Actor;

namespace Playback;

/// <summary>What a call actor needs besides its call id.</summary>
internal sealed record PlaybackActorSettings(ICallingApi Api, PlaybackEventHub Hub, PlaybackCounters Counters, TimeSpan IdleTimeout, TimeSpan StatusTimeout, CancellationToken Shutdown)
{
    /// <summary>Where the actor records webhooks that prove its command in flight landed, for <see cref="ResilientCallingApi"/> to read before a retry.</summary>
    public LandedEvidence? Evidence { get; init; }

    /// <summary>How long after a failed settling stop the stop of an unconfirmed play is tried again.</summary>
    public TimeSpan SettleRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The manager's metrics, logger and traces; null in tests that build actors alone.</summary>
    public PlaybackTelemetry? Telemetry { get; init; }

    /// <summary>The store the call actors write ahead to; null when persistence is off.</summary>
    public PlaybackPersistenceSettings? Persistence { get; init; }

    /// <summary>Bounds the store's deletes in flight across the manager's calls; null when persistence is off.</summary>
    public DeleteGate? Deletes { get; init; }

    /// <summary>
    /// How long a change written behind may wait to go into the call's next write (<see cref="CallRecorder.WriteBehindDelay"/>);
    /// zero writes it at once. Playback.Cluster sets zero: a shard handed off to another node stops its calls without a
    /// flush, and the node that takes over reads the store.
    /// </summary>
    public TimeSpan WriteBehindHold { get; init; } = CallRecorder.WriteBehindDelay;

    /// <summary>
    /// The requests call actors left on the wire when they stopped or restarted, by call (until answered): the call's next
    /// actor, or next incarnation, puts nothing on the wire before that one is answered. One per manager.
    /// </summary>
    public ConcurrentDictionary<string, LeftRequest> LeftOnTheWire { get; } = new(StringComparer.Ordinal);

    /// <summary>How long a request left on the wire is kept once answered, for the call's next actor to take its outcome (it starts with the call's next message).</summary>
    public TimeSpan LeftRequestRetention { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a call's request waits for one an earlier actor of the call left on the wire before it goes out anyway (that one's API has no deadline of its own).</summary>
    public TimeSpan LeftRequestWaitLimit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The API is Playback's own HTTP client: the call's actor may run where its answers arrive (<see cref="InlineExecutor"/>).</summary>
    public bool InlineAnswers { get; init; }

    /// <summary>The routes the manager's facade tells call actors through, around the registry; null behind another router (Playback.Cluster).</summary>
    public CallRoutes? Routes { get; init; }
}
