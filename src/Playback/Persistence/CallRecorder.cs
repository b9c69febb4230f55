using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace Playback;

/// <summary>
/// Asks the recorder to write a change. <paramref name="Ack"/>: the change's effects wait for it (it puts a request on the
/// wire), answered with <see cref="ChangeRecorded"/>; otherwise it is written behind its effects (it reports what has
/// already happened). A failure is always answered with <see cref="StoreFailed"/>.
/// </summary>
internal sealed record RecordChange(CallChange Change, CallPlaybacks State, bool Ack);

/// <summary>The call has nothing live: delete its journal and snapshots.</summary>
internal sealed record PruneCall
{
    public static readonly PruneCall Instance = new();
}

internal sealed record ChangeRecorded
{
    public static readonly ChangeRecorded Instance = new();
}

/// <summary>The journal could not write or read the call (the recorder stops after it).</summary>
internal sealed record StoreFailed(Exception Cause);

/// <summary>The call's state as the store had it (empty when the call is new).</summary>
internal sealed record CallRecovered(CallPlaybacks State);


/// <summary>
/// The journal of one call: a child of the call's actor (which stays a plain actor, so that a call costs nothing more
/// when persistence is off). Recovers the call's state from its last snapshot and the changes after it, writes each change
/// before the call actor runs its effects (write-ahead), snapshots every <see cref="PlaybackPersistenceSettings.SnapshotEvery"/>
/// changes and deletes what the snapshot covers, and deletes everything once the call has nothing live.
/// </summary>
internal sealed class CallRecorder : UntypedPersistentActor
{
    private readonly string _callId;
    private readonly int _snapshotEvery;
    private CallPlaybacks _state;
    private int _sinceSnapshot;

    // One delete of each kind at a time: two deletes of the same call's rows at once can deadlock in the database
    // (PostgreSQL answered 40P01), and the loser's rows would stay. A delete asked for meanwhile waits and is merged.
    private long _deletingTo;
    private long _deleteWanted;
    private int _deleteAttempts;
    private long _deletingSnapshotsTo;
    private long _snapshotDeleteWanted;

    public CallRecorder(string callId, int snapshotEvery)
    {
        _callId = callId;
        _snapshotEvery = snapshotEvery;
        _state = new CallPlaybacks(callId);
        JournalPluginId = PlaybackStore.JournalId;
        SnapshotPluginId = PlaybackStore.SnapshotStoreId;
    }

    public override string PersistenceId => PlaybackPersistenceSettings.PersistenceIdPrefix + _callId;

    public static Props Props(string callId, int snapshotEvery) => Akka.Actor.Props.Create(() => new CallRecorder(callId, snapshotEvery));

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: CallChange snapshot }:
                _state = snapshot.ApplyTo(new CallPlaybacks(_callId));
                break;
            case CallChange change:
                _state = change.ApplyTo(_state);
                _sinceSnapshot++;
                break;
            case RecoveryCompleted:
                if (LastSequenceNr > 0 && _state.IsIdle)
                {
                    // Written before a stop that came before its prune: nothing is live, so nothing is kept.
                    DeleteEventsTo(LastSequenceNr);
                    DeleteSnapshotsTo(long.MaxValue);
                }

                Context.Parent.Tell(new CallRecovered(_state));
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case RecordChange record:
                Persist(record.Change, _ =>
                {
                    _state = record.State;
                    if (record.Ack)
                    {
                        Context.Parent.Tell(ChangeRecorded.Instance);
                    }

                    if (++_sinceSnapshot >= _snapshotEvery)
                    {
                        _sinceSnapshot = 0;
                        SaveSnapshot(CallChange.Of(_state));
                    }
                });
                break;
            case FlushCall:
                // Commands wait while a write is pending (Persist), so this answer comes after every earlier write.
                Sender.Tell(StoreFlushed.Instance);
                break;
            case PruneCall:
                _sinceSnapshot = 0;
                DeleteEventsTo(LastSequenceNr);
                DeleteSnapshotsTo(long.MaxValue);
                break;
            case SaveSnapshotSuccess saved:
                // Keep the event the snapshot was taken at, so that the call stays listed as live (recovery lists calls by
                // their events that are not deleted); everything before it is covered by the snapshot.
                if (saved.Metadata.SequenceNr > 1)
                {
                    DeleteEventsTo(saved.Metadata.SequenceNr - 1);
                    DeleteSnapshotsTo(saved.Metadata.SequenceNr - 1);
                }
                break;
            case DeleteMessagesSuccess:
                _deleteAttempts = 0;
                EventsDeleted();
                break;
            case DeleteMessagesFailure failed:
                // A failed delete costs space and recovery time, never correctness: the events are still there. It is tried
                // again (a deadlock or a timeout usually passes); after that, the next start deletes what an idle call left.
                if (++_deleteAttempts < MaxDeleteAttempts)
                {
                    _deleteWanted = Math.Max(_deleteWanted, failed.ToSequenceNr);
                }
                else
                {
                    _deleteAttempts = 0;
                    Context.GetLogger().Warning("Call {0}: the playback store could not delete its changes up to {1} ({2}); the next start deletes them", _callId, failed.ToSequenceNr, failed.Cause.Message);
                }

                EventsDeleted();
                break;
            case DeleteSnapshotsSuccess or DeleteSnapshotsFailure:
                SnapshotsDeleted();
                break;
            case SaveSnapshotFailure:
                // The events are still there: recovery reads them instead.
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private const int MaxDeleteAttempts = 3;

    private void DeleteEventsTo(long toSequenceNr)
    {
        if (_deletingTo > 0)
        {
            _deleteWanted = Math.Max(_deleteWanted, toSequenceNr);
            return;
        }

        _deletingTo = toSequenceNr;
        DeleteMessages(toSequenceNr);
    }

    private void EventsDeleted()
    {
        _deletingTo = 0;
        var wanted = _deleteWanted;
        _deleteWanted = 0;
        if (wanted > 0)
        {
            DeleteEventsTo(wanted);
        }
    }

    private void DeleteSnapshotsTo(long toSequenceNr)
    {
        if (_deletingSnapshotsTo > 0)
        {
            _snapshotDeleteWanted = Math.Max(_snapshotDeleteWanted, toSequenceNr);
            return;
        }

        _deletingSnapshotsTo = toSequenceNr;
        DeleteSnapshots(new SnapshotSelectionCriteria(toSequenceNr));
    }

    private void SnapshotsDeleted()
    {
        _deletingSnapshotsTo = 0;
        var wanted = _snapshotDeleteWanted;
        _snapshotDeleteWanted = 0;
        if (wanted > 0)
        {
            DeleteSnapshotsTo(wanted);
        }
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        Context.Parent.Tell(new StoreFailed(cause));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        Context.Parent.Tell(new StoreFailed(cause));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        Context.Parent.Tell(new StoreFailed(reason));
        base.OnRecoveryFailure(reason, message);
    }
}
