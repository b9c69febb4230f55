using Akka.Actor;

namespace Playback.Cluster.Tests;

/// <summary>What the loopback clusters of these tests share: housekeeping, timing tuned for seconds, and the wait for event subscriptions.</summary>
internal static class ClusterTestSupport
{
    /// <summary>What every test node needs whatever its timings: quiet logs, a tear-down that does not exit the process or wait out a leave, no durable sharding state on disk.</summary>
    public const string Housekeeping = """
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          coordinated-shutdown {
            exit-clr = off
            # Tear-down stops every node at once; a leave that cannot complete (no one to hand over to) is cut short.
            phases.cluster-sharding-shutdown-region.timeout = 3s
            phases.cluster-exiting.timeout = 2s
            phases.cluster-leave.timeout = 2s
          }
          cluster.sharding.distributed-data.durable.keys = []
        }
        """;

    /// <summary>Gossip, failure detection, downing and sharding tuned for seconds, not minutes (no provider or remoting: callers add them).</summary>
    public const string Tuning = """
        akka {
          cluster {
            gossip-interval = 200ms
            leader-actions-interval = 200ms
            unreachable-nodes-reaper-interval = 250ms
            periodic-tasks-initial-delay = 100ms
            failure-detector { heartbeat-interval = 300ms, acceptable-heartbeat-pause = 1500ms, threshold = 8.0 }
            split-brain-resolver { active-strategy = keep-majority, stable-after = 1500ms }
            down-removal-margin = off
            pub-sub.gossip-interval = 200ms
            sharding {
              retry-interval = 200ms
              handoff-timeout = 15s
              shard-start-timeout = 2s
              waiting-for-state-timeout = 1s
              updating-state-timeout = 2s
              coordinator-failure-backoff = 500ms
              rebalance-interval = 3600s
              distributed-data.gossip-interval = 200ms
              distributed-data.notify-subscribers-interval = 100ms
            }
            singleton.hand-over-retry-interval = 200ms
            singleton-proxy.singleton-identification-interval = 200ms
          }
        }
        """ + Housekeeping;

    /// <summary>
    /// Waits until an event published on any node reaches every node's event hub. Subscriptions spread by gossip: an event
    /// published before a node's subscription reached the publisher's mediator misses that node.
    /// </summary>
    public static async Task WaitUntilEventsReachEveryNodeAsync(IReadOnlyList<(ActorSystem System, PlaybackManager Playback)> nodes)
    {
        var topic = PlaybackClusterSettings.Default.AllCallsTopic;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; i < nodes.Count; i++)
        {
            var callId = $"warm-up-{i}";
            var mediator = Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(nodes[i].System).Mediator;
            while (!nodes.All(n => n.Playback.Snapshot(callId).Count > 0))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Events published on node {i} do not reach every node.");
                }

                mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(topic, new PlaybackEvent(callId, "w", PlaybackState.Playing, null, 0, null, DateTimeOffset.UtcNow, PlaybackChange.State)));
                await Task.Delay(100);
            }

            mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(topic, new PlaybackEvent(callId, "w", PlaybackState.Finished, PlaybackState.Playing, 0, null, DateTimeOffset.UtcNow, PlaybackChange.State)));
        }
    }
}
