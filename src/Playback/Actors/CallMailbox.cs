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

    /// <summary>Many producers, one consumer, under a lock that is held for a few instructions.</summary>
    internal sealed class CallMessageQueue : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
    {
        private readonly object _gate = new();
        private Queue<Envelope>? _queue;

        // Messages put back in front (a persistent call's stash, unstashed after a write): taken before the queue.
        private Stack<Envelope>? _front;
        private volatile int _count;

        public bool HasMessages => _count > 0;

        public int Count => _count;

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (_gate)
            {
                (_queue ??= new Queue<Envelope>(4)).Enqueue(envelope);
                _count = _queue.Count + (_front?.Count ?? 0);
            }
        }

        /// <summary>Puts a message back in front (the stash unstashes last first, so the front is a stack).</summary>
        public void EnqueueFirst(Envelope envelope)
        {
            lock (_gate)
            {
                (_front ??= new Stack<Envelope>(4)).Push(envelope);
                _count = (_queue?.Count ?? 0) + _front.Count;
            }
        }

        public bool TryDequeue(out Envelope envelope)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }

            lock (_gate)
            {
                if (_front is { Count: > 0 } front)
                {
                    envelope = front.Pop();
                    _count = (_queue?.Count ?? 0) + front.Count;
                    return true;
                }

                if (_queue is { Count: > 0 } queue)
                {
                    envelope = queue.Dequeue();
                    _count = queue.Count;
                    return true;
                }

                envelope = default;
                return false;
            }
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope))
            {
                deadletters.Enqueue(owner, envelope);
            }
        }
    }
}
