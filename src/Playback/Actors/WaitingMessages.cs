using Akka.Actor;

namespace Playback;

/// <summary>
/// The messages a call actor cannot take yet (a request is in flight; in a cluster, a restore or a passivation is under
/// way), with their senders, in arrival order. One buffer; how it empties depends on why the wait ends, and each way has
/// a name. Kept here rather than in Akka's stash, which needs a deque mailbox that pre-allocates per actor; the queue
/// is created on first use.
/// </summary>
internal sealed class WaitingMessages
{
    private Queue<(object Message, IActorRef Sender)>? _queue;

    /// <summary>Whether nothing waits.</summary>
    public bool IsEmpty => _queue is not { Count: > 0 };

    /// <summary>Holds a message until the wait ends.</summary>
    public void Hold(object message, IActorRef sender) => (_queue ??= new Queue<(object, IActorRef)>(4)).Enqueue((message, sender));

    /// <summary>The call is ready again: handles the messages in order, as long as it stays ready (one may put a new request on the wire).</summary>
    public void RunInOrder(Func<bool> stillReady, Action<object, IActorRef> handle)
    {
        while (_queue is { Count: > 0 } && stillReady())
        {
            var (message, sender) = _queue.Dequeue();
            handle(message, sender);
        }
    }

    /// <summary>The call will not run them (it is gone, or the actor stops): every waiting command gets <paramref name="reply"/>; the rest is dropped.</summary>
    public void AnswerCommands(Func<IPlaybackCommand, CommandReply> reply) => Drain(reply, target: null);

    /// <summary>The call moves (cluster): every waiting command gets <paramref name="reply"/>; everything else goes to <paramref name="target"/> with its sender.</summary>
    public void Release(Func<IPlaybackCommand, CommandReply> reply, IActorRef target) => Drain(reply, target);

    /// <summary>The actor passivates (cluster): everything goes to <paramref name="target"/> with its sender, to reach the successor.</summary>
    public void ForwardAll(IActorRef target) => Drain(null, target);

    /// <summary>Empties the buffer: commands get <paramref name="reply"/> (when given); everything else goes to <paramref name="target"/> (when given) or is dropped.</summary>
    private void Drain(Func<IPlaybackCommand, CommandReply>? reply, IActorRef? target)
    {
        while (_queue is { Count: > 0 })
        {
            var (message, sender) = _queue.Dequeue();
            if (reply is not null && message is IPlaybackCommand command)
            {
                sender.Tell(reply(command));
            }
            else
            {
                target?.Tell(message, sender);
            }
        }
    }
}
