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

    public ClusterEventBridge(PlaybackEventHub hub, string topic, TaskCompletionSource subscribed)
    {
        _hub = hub;
        _topic = topic;
        _subscribed = subscribed;
    }

    public static Props Props(PlaybackEventHub hub, string topic, TaskCompletionSource subscribed) =>
        Akka.Actor.Props.Create(() => new ClusterEventBridge(hub, topic, subscribed));

    protected override void PreStart() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(_topic, Self));

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
            default:
                Unhandled(message);
                break;
        }
    }
}
