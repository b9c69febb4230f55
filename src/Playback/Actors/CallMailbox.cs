using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Playback;

/// <summary>
/// The mailbox of call actors: an unbounded queue that allocates nothing until the first message and then grows from a
/// small array. Akka's default mailbox pre-allocates a 32-slot segment per actor, which dominates the cost of the
/// mostly idle call actors (one per live call).
/// </summary>
internal sealed class CallMailbox : MailboxType, IProducesMessageQueue<CallMailbox.CallMessageQueue>
{
    public CallMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CallMessageQueue();

    /// <summary>
    /// Many producers, one consumer, under a lock (on the queue itself) that is held for a few instructions. A message that
    /// arrives while nothing waits takes a slot of its own: a call actor mostly gets one message at a time, and then never
    /// allocates a queue.
    /// </summary>
    internal sealed class CallMessageQueue : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
    {
        // The oldest waiting message when it arrived while nothing waited (then _queue is empty or null).
        private Envelope _first;
        private bool _hasFirst;
        private Queue<Envelope>? _queue;

        // Messages put back in front (a persistent call's stash, unstashed after a write): taken before the rest.
        private Stack<Envelope>? _front;
        private volatile int _count;

        public bool HasMessages => _count > 0;

        public int Count => _count;

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (this)
            {
                if (!_hasFirst && _queue is not { Count: > 0 })
                {
                    (_first, _hasFirst) = (envelope, true);
                }
                else
                {
                    (_queue ??= new Queue<Envelope>(4)).Enqueue(envelope);
                }

                Recount();
            }
        }

        /// <summary>Puts a message back in front (the stash unstashes last first, so the front is a stack).</summary>
        public void EnqueueFirst(Envelope envelope)
        {
            lock (this)
            {
                (_front ??= new Stack<Envelope>(4)).Push(envelope);
                Recount();
            }
        }

        public bool TryDequeue(out Envelope envelope)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }

            lock (this)
            {
                if (_front is { Count: > 0 } front)
                {
                    envelope = front.Pop();
                }
                else if (_hasFirst)
                {
                    envelope = _first;
                    (_first, _hasFirst) = (default, false); // no reference kept to a handled message
                }
                else if (_queue is { Count: > 0 } queue)
                {
                    envelope = queue.Dequeue();
                }
                else
                {
                    envelope = default;
                    return false;
                }

                Recount();
                return true;
            }
        }

        private void Recount() => _count = (_hasFirst ? 1 : 0) + (_queue?.Count ?? 0) + (_front?.Count ?? 0);

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope))
            {
                deadletters.Enqueue(owner, envelope);
            }
        }
    }
}
