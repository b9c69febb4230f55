using Akka.Actor;
using Xunit;

namespace Playback.Tests;

/// <summary>
/// The call actors' mailbox: first in, first out across its single slot and its queue, messages put back in front taken
/// first, and nothing lost or reordered per producer under concurrent producers.
/// </summary>
public sealed class CallMailboxTests
{
    [Fact]
    public void Messages_come_out_in_arrival_order_whether_they_took_the_slot_or_the_queue()
    {
        var queue = new CallMailbox.CallMessageQueue();
        var taken = new List<int>();

        Put(queue, 1);
        Put(queue, 2);
        Put(queue, 3);
        taken.Add(Take(queue)); // 1, from the slot
        Put(queue, 4);          // behind 2 and 3 in the queue, not in the free slot
        taken.Add(Take(queue));
        taken.Add(Take(queue));
        taken.Add(Take(queue));
        Put(queue, 5);          // nothing waits: the slot again
        Put(queue, 6);
        taken.Add(Take(queue));
        taken.Add(Take(queue));

        Assert.Equal([1, 2, 3, 4, 5, 6], taken);
        Assert.False(queue.HasMessages);
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void A_message_put_back_in_front_comes_first_and_the_count_follows()
    {
        var queue = new CallMailbox.CallMessageQueue();
        Put(queue, 1);
        Put(queue, 2);
        queue.EnqueueFirst(new Envelope(10, ActorRefs.NoSender));
        queue.EnqueueFirst(new Envelope(9, ActorRefs.NoSender)); // the stash unstashes last first

        Assert.Equal(4, queue.Count);
        Assert.Equal([9, 10, 1, 2], [Take(queue), Take(queue), Take(queue), Take(queue)]);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Concurrent_producers_lose_nothing_and_keep_each_producers_order()
    {
        var queue = new CallMailbox.CallMessageQueue();
        const int producers = 4, each = 20_000;
        var taken = new List<(int Producer, int Seq)>(producers * each);
        var consumer = Task.Run(() =>
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30); // a lost message ends the loop too, not only the wait
            while (taken.Count < producers * each && DateTime.UtcNow < deadline)
            {
                if (queue.TryDequeue(out var envelope))
                {
                    taken.Add(((int, int))envelope.Message);
                }
            }
        });

        Parallel.For(0, producers, p =>
        {
            for (var i = 0; i < each; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, new Envelope((p, i), ActorRefs.NoSender));
            }
        });
        await consumer;

        Assert.Equal(producers * each, taken.Count);
        foreach (var group in taken.GroupBy(t => t.Producer))
        {
            Assert.Equal(Enumerable.Range(0, each), group.Select(t => t.Seq));
        }
    }

    [Fact]
    public void Clean_up_hands_what_waits_to_dead_letters_in_order()
    {
        var queue = new CallMailbox.CallMessageQueue();
        var dead = new CallMailbox.CallMessageQueue();
        Put(queue, 1);
        Put(queue, 2);
        Put(queue, 3);

        queue.CleanUp(ActorRefs.Nobody, dead);

        Assert.False(queue.HasMessages);
        Assert.Equal([1, 2, 3], [Take(dead), Take(dead), Take(dead)]);
    }

    private static void Put(CallMailbox.CallMessageQueue queue, int message) => queue.Enqueue(ActorRefs.Nobody, new Envelope(message, ActorRefs.NoSender));

    private static int Take(CallMailbox.CallMessageQueue queue)
    {
        Assert.True(queue.TryDequeue(out var envelope));
        return (int)envelope.Message;
    }
}
