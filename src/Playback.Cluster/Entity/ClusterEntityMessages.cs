using System.Collections.Immutable;
using Akka.Actor;

namespace Playback;

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

/// <summary>
/// What changes when a call actor is a sharding entity (supplied by Playback.Cluster, which owns the sharding types).
/// </summary>
/// <param name="PassivateRequest">The message asking the parent shard to passivate the entity (<c>ShardRegion.Passivate(StopIfIdle)</c>).</param>
/// <param name="Region">The local shard region, for the handoff state and for messages bounced during passivation.</param>
/// <param name="Publish">Publishes an event to every node (distributed pub-sub).</param>
/// <param name="Seed">The call's playbacks that have not ended, as this node last heard of them (from the replicated events).</param>
/// <param name="RestoreTimeout">How long a new entity that the events say had a predecessor waits for its handoff.</param>
/// <param name="HasSuccessor">Whether another node could host the call after this one (no handoff is sent when none can: the region would hold it until its shutdown times out).</param>
/// <param name="PredecessorCrashed">Whether the node that last published the call's events crashed (was downed): then no handoff can come and the restore does not wait for one. Null = never known.</param>
internal sealed record ClusterEntityHooks(
    object PassivateRequest,
    Func<IActorRef> Region,
    Action<PlaybackEvent> Publish,
    Func<string, IReadOnlyList<PlaybackSnapshot>> Seed,
    TimeSpan RestoreTimeout,
    Func<bool> HasSuccessor,
    Func<string, bool>? PredecessorCrashed = null);
