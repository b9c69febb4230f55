using Akka.Actor;

namespace Playback;

/// <summary>
/// Bounds the store's deletes in flight across all the calls of one manager. Each delete takes a database connection and a
/// transaction of its own: 10,000 calls ending at once asked PostgreSQL's pool (100 connections) for 20,000, the waits
/// ran into the driver's timeout, and the failures opened the journal's breaker, which then refused the calls' commands
/// too. A delete only frees space, so it waits its turn: a call that cannot enter now is told <c>grant</c> when a slot
/// frees. Thread-safe; the recorders call it from their actors.
/// </summary>
internal sealed class DeleteGate(int limit)
{
    /// <summary>Deletes in flight at most, per manager.</summary>
    public const int DefaultLimit = 8;

    private readonly object _lock = new();
    private readonly LinkedList<(IActorRef Who, object Grant)> _waiting = new();
    private readonly Dictionary<IActorRef, int> _waits = [];
    private readonly Dictionary<IActorRef, int> _held = [];
    private int _free = limit;

    /// <summary>Takes a slot now (true), or queues <paramref name="who"/> to be told <paramref name="grant"/> once it holds one.</summary>
    public bool TryEnter(IActorRef who, object grant)
    {
        lock (_lock)
        {
            if (_free > 0)
            {
                _free--;
                Add(_held, who, 1);
                return true;
            }

            _waiting.AddLast((who, grant));
            Add(_waits, who, 1);
            return false;
        }
    }

    /// <summary>Gives back one slot <paramref name="who"/> holds; the next waiting call gets it.</summary>
    public void Exit(IActorRef who)
    {
        lock (_lock)
        {
            if (!_held.ContainsKey(who))
            {
                return;
            }

            Add(_held, who, -1);
        }

        PassOn(1);
    }

    /// <summary>The actor stopped: its waits are withdrawn, and the slots it holds (or was granted and never read) passed on.</summary>
    public void Leave(IActorRef who)
    {
        int held;
        lock (_lock)
        {
            // A stopping call rarely waits (it stops once its deletes are done): the queue is scanned only when it does.
            for (var node = _waits.Remove(who) ? _waiting.First : null; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Who.Equals(who))
                {
                    _waiting.Remove(node);
                }

                node = next;
            }

            held = _held.Remove(who, out var count) ? count : 0;
        }

        PassOn(held);
    }

    /// <summary>Slots in use and calls waiting (tests).</summary>
    internal (int InUse, int Waiting) Load
    {
        get
        {
            lock (_lock)
            {
                return (_held.Values.Sum(), _waiting.Count);
            }
        }
    }

    private static void Add(Dictionary<IActorRef, int> counts, IActorRef who, int delta)
    {
        var count = counts.GetValueOrDefault(who) + delta;
        if (count > 0)
        {
            counts[who] = count;
        }
        else
        {
            counts.Remove(who);
        }
    }

    private void PassOn(int slots)
    {
        for (var i = 0; i < slots; i++)
        {
            (IActorRef Who, object Grant) next;
            lock (_lock)
            {
                if (_waiting.First is not { } first)
                {
                    _free++;
                    continue;
                }

                next = first.Value;
                _waiting.RemoveFirst();
                Add(_waits, next.Who, -1);
                Add(_held, next.Who, 1);
            }

            next.Who.Tell(next.Grant);
        }
    }
}
