using Akka.Persistence;
using Akka.Persistence.Snapshot;

namespace Playback.PersistenceTests;

/// <summary>
/// An in-memory snapshot store whose next <see cref="FailPrunes"/> deletes of all of a call's snapshots (a prune) fail,
/// and that says how many snapshots it holds. One test at a time uses it (Akka creates the store).
/// </summary>
public sealed class FailingSnapshotStore : MemorySnapshotStore
{
    private static readonly HashSet<(string Id, long SequenceNr)> Held = [];
    private static int s_failPrunes;
    private static int s_failed;

    /// <summary>How many prunes fail from now on.</summary>
    public static int FailPrunes
    {
        set
        {
            Volatile.Write(ref s_failPrunes, value);
            Volatile.Write(ref s_failed, 0);
            lock (Held)
            {
                Held.Clear();
            }
        }
    }

    /// <summary>Prunes that failed.</summary>
    public static int Failed => Volatile.Read(ref s_failed);

    /// <summary>Snapshots held now.</summary>
    public static int Count
    {
        get
        {
            lock (Held)
            {
                return Held.Count;
            }
        }
    }

    protected override async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        if (criteria.MaxSequenceNr == long.MaxValue && Interlocked.Decrement(ref s_failPrunes) >= 0)
        {
            Interlocked.Increment(ref s_failed);
            throw new IOException("the snapshot store is busy");
        }

        await base.DeleteAsync(persistenceId, criteria, cancellationToken);
        lock (Held)
        {
            Held.RemoveWhere(s => s.Id == persistenceId && s.SequenceNr <= criteria.MaxSequenceNr);
        }
    }

    protected override async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        await base.SaveAsync(metadata, snapshot, cancellationToken);
        lock (Held)
        {
            Held.Add((metadata.PersistenceId, metadata.SequenceNr));
        }
    }
}
