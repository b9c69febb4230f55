using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;

namespace Playback;

/// <summary>
/// Brings every call's events to this node: subscribed to the all-calls topic, it feeds each event into the node's event
/// hub, which serves <see cref="PlaybackManager.Events"/>, <see cref="PlaybackManager.EventsFor(string)"/> (current state
/// first) and <see cref="PlaybackManager.Snapshot(string)"/>, and from which a call actor that moved here starts.
/// </summary>
internal sealed class ClusterEventBridge : UntypedActor
{
    private readonly PlaybackEventHub _hub;
    private readonly string _topic;
    private readonly TaskCompletionSource _subscribed;
    private readonly IActorRef _gateway;

    public ClusterEventBridge(PlaybackEventHub hub, string topic, TaskCompletionSource subscribed, IActorRef gateway)
    {
        _hub = hub;
        _topic = topic;
        _subscribed = subscribed;
        _gateway = gateway;
    }

    // The bridge watches the manager's gateway: it stops (and so unsubscribes) when the disposed manager stops the gateway.
    public static Props Props(PlaybackEventHub hub, string topic, TaskCompletionSource subscribed, IActorRef gateway) =>
        Akka.Actor.Props.Create(() => new ClusterEventBridge(hub, topic, subscribed, gateway));

    protected override void PreStart()
    {
        Context.Watch(_gateway);
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(_topic, Self));
    }

    protected override void PostStop() => _subscribed.TrySetCanceled();

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PlaybackEvent e:
                _hub.Publish(e);
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
