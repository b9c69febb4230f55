using Akka.Cluster.Sharding;

namespace Playback;

/// <summary>Routes every per-call message (they all implement <see cref="IWithCallId"/>) to the call's entity; the entity id is the call id.</summary>
internal sealed class CallMessageExtractor(int maxNumberOfShards) : HashCodeMessageExtractor(maxNumberOfShards)
{
    public override string? EntityId(object message) => message switch
    {
        IWithCallId call => call.CallId,
        _ => null,
    };
}
