using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;

namespace Playback;

/// <summary>
/// Brings every call's events to this node: subscribed to the all-calls topic, it feeds each event into the node's event
/// hub, which serves <see cref="PlaybackManager.Events"/>, <see cref="PlaybackManager.EventsFor(string)"/> (current state
/// first) and <see cref="PlaybackManager.Snapshot(string)"/>, and from which a call actor that moved here starts. It also
/// tells <see cref="CallOrigins"/> which node published each call's events and which nodes were removed after a crash.
/// </summary>
internal sealed class ClusterEventBridge : UntypedActor
{
    private readonly PlaybackEventHub _hub;
    private readonly string _topic;
    private readonly TaskCompletionSource _subscribed;
    private readonly IActorRef _gateway;
    private readonly CallOrigins _origins;

    public ClusterEventBridge(PlaybackEventHub hub, string topic, TaskCompletionSource subscribed, IActorRef gateway, CallOrigins origins)
    {
        _hub = hub;
        _topic = topic;
        _subscribed = subscribed;
        _gateway = gateway;
        _origins = origins;
    }

    // The bridge watches the manager's gateway: it stops (and so unsubscribes) when the disposed manager stops the gateway.
    public static Props Props(PlaybackEventHub hub, string topic, TaskCompletionSource subscribed, IActorRef gateway, CallOrigins origins) =>
        Akka.Actor.Props.Create(() => new ClusterEventBridge(hub, topic, subscribed, gateway, origins));

    protected override void PreStart()
    {
        Context.Watch(_gateway);
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(_topic, Self));
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
    }

    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        _subscribed.TrySetCanceled();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PlaybackEvent e:
                _hub.Publish(e);
                _origins.Published(e.CallId, Sender.Path.Address, live: !e.State.IsTerminal() || _hub.Snapshot(e.CallId).Count > 0);
                break;
            case ClusterEvent.MemberRemoved removed:
                _origins.Removed(removed);
                break;
            case SubscribeAck:
                _subscribed.TrySetResult();
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_gateway):
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
