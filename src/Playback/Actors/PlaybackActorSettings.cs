using Akka.Actor;

namespace Playback;

/// <summary>What a call actor needs besides its call id.</summary>
internal sealed record PlaybackActorSettings(ICallingApi Api, PlaybackEventHub Hub, PlaybackCounters Counters, TimeSpan IdleTimeout, TimeSpan StatusTimeout, CancellationToken Shutdown)
{
    /// <summary>Set when the call actor runs as a cluster-sharding entity.</summary>
    public ClusterEntityHooks? Cluster { get; init; }

    /// <summary>Where the actor records webhooks that prove its command in flight landed, for <see cref="ResilientCallingApi"/> to read before a retry.</summary>
    public LandedEvidence? Evidence { get; init; }

    /// <summary>How long after a failed settling stop the stop of an unconfirmed play is tried again.</summary>
    public TimeSpan SettleRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The manager's metrics, logger and traces; null in tests that build actors alone.</summary>
    public PlaybackTelemetry? Telemetry { get; init; }
}

/// <summary>
/// What changes when a call actor is a sharding entity (supplied by Playback.Cluster, which owns the sharding types).
/// </summary>
/// <param name="PassivateRequest">The message asking the parent shard to passivate the entity (<c>ShardRegion.Passivate(StopIfIdle)</c>).</param>
/// <param name="Region">The local shard region, for the handoff state and for messages bounced during passivation.</param>
/// <param name="Publish">Publishes an event to every node (distributed pub-sub).</param>
/// <param name="Seed">The call's playbacks that have not ended, as this node last heard of them (from the replicated events).</param>
/// <param name="RestoreTimeout">How long a new entity that the events say had a predecessor waits for its handoff.</param>
/// <param name="HasSuccessor">Whether another node could host the call after this one (no handoff is sent when none can: the region would hold it until its shutdown times out).</param>
internal sealed record ClusterEntityHooks(
    object PassivateRequest,
    Func<IActorRef> Region,
    Action<PlaybackEvent> Publish,
    Func<string, IReadOnlyList<PlaybackSnapshot>> Seed,
    TimeSpan RestoreTimeout,
    Func<bool> HasSuccessor);
