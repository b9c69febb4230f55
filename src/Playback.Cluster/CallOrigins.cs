using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;

namespace Playback;

/// <summary>
/// Which node last published each live call's events, and which nodes were removed after being downed (crashed, rather
/// than left): a call actor that starts here after its predecessor's node crashed restores from the events at once
/// instead of waiting for a handoff that cannot come. Written by the event bridge, read by call actors as they start.
/// </summary>
internal sealed class CallOrigins(Akka.Cluster.Cluster cluster)
{
    private readonly ConcurrentDictionary<string, Address> _publishers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Address, bool> _crashed = new();

    /// <summary>Records the node that published an event for the call; forgets the call once none of its playbacks is live.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="publisher">The address of the actor that published the event (local scope: this node).</param>
    /// <param name="live">Whether the call still has a playback that has not ended.</param>
    public void Published(string callId, Address publisher, bool live)
    {
        if (live && !publisher.HasLocalScope)
        {
            _publishers[callId] = publisher;
        }
        else
        {
            _publishers.TryRemove(callId, out _);
        }
    }

    /// <summary>Remembers whether a removed member had been downed (a crash) or had left; a later incarnation at the same address overrides it.</summary>
    public void Removed(ClusterEvent.MemberRemoved removed)
    {
        if (removed.PreviousStatus == MemberStatus.Down)
        {
            _crashed[removed.Member.Address] = true;
        }
        else
        {
            _crashed.TryRemove(removed.Member.Address, out _);
        }
    }

    /// <summary>Whether the node that last published the call's events is down, or was removed after being downed.</summary>
    public bool PredecessorCrashed(string callId)
    {
        if (!_publishers.TryGetValue(callId, out var address))
        {
            return false;
        }

        var member = cluster.State.Members.FirstOrDefault(m => m.Address.Equals(address));
        return member is null ? _crashed.ContainsKey(address) : member.Status == MemberStatus.Down;
    }
}
