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
internal sealed partial class CallRecorder : UntypedPersistentActor, IWithTimers
{
    private readonly string _callId;
    private readonly int _snapshotEvery;
    private CallPlaybacks _state;

    // The state after the last change given to the journal (what the next change is taken against).
    private CallPlaybacks _written;
    private int _sinceSnapshot;

    // One delete of each kind at a time: two deletes of the same call's rows at once can deadlock in the database
    // (PostgreSQL answered 40P01), and the loser's rows would stay. A delete asked for meanwhile waits and is merged.
    private readonly OneAtATime _eventDeletes;
    private readonly OneAtATime _snapshotDeletes;

    // Changes given to PersistAsync, and of them stored (their handlers run in order); what waits for them.
    private long _issued;
    private long _stored;
    private Queue<(long After, Action Action)>? _afterStored;

    private readonly DeleteGate? _gate;

    public CallRecorder(string callId, int snapshotEvery, DeleteGate? gate, TimeSpan hold)
    {
        _hold = hold;
        _gate = gate;
        _callId = callId;
        _snapshotEvery = snapshotEvery;
        _state = new CallPlaybacks(callId);
        _written = _state;
        JournalPluginId = PlaybackStore.JournalId;
        SnapshotPluginId = PlaybackStore.SnapshotStoreId;
        _eventDeletes = new OneAtATime(DeleteMessages, gate, Self, new DeleteGranted(Events: true));
        _snapshotDeletes = new OneAtATime(to => DeleteSnapshots(new SnapshotSelectionCriteria(to)), gate, Self, new DeleteGranted(Events: false));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId => PlaybackPersistenceSettings.PersistenceIdPrefix + _callId;

    public static Props Props(string callId, int snapshotEvery, DeleteGate? gate, TimeSpan hold) => Akka.Actor.Props.Create(() => new CallRecorder(callId, snapshotEvery, gate, hold));

    protected override void PostStop()
    {
        if (_held is { Count: > 0 } held)
        {
            // Stopped without a flush (the call actor failed, or the system stopped without Playback's shutdown task):
            // what these changes reported is resent after a restart (truth under failure), as after a crash.
            Context.GetLogger().Warning("Call {0}: {1} change(s) written behind were not stored before the journal stopped; the request they concern is sent again after a restart", _callId, held.Count);
        }

        _gate?.Leave(Self);
        base.PostStop();
    }

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
                    _eventDeletes.Request(LastSequenceNr);
                    _snapshotDeletes.Request(long.MaxValue);
                }

                _written = _state;
                Context.Parent.Tell(new CallRecovered(_state));
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case RecordChange { Ack: false } behind when _hold > TimeSpan.Zero:
                (_held ??= []).Add(behind);
                if (_held.Count == 1)
                {
                    Timers.StartSingleTimer(WriteHeld.Instance, WriteHeld.Instance, _hold);
                }

                break;
            case RecordChange ahead:
                WriteHeldChanges(ahead);
                break;
            case WriteHeld:
                WriteHeldChanges(next: null);
                break;
            case FlushCall flush:
                WriteHeldChanges(next: null);
                // A flush comes before a graceful stop: from now on nothing is held, so that nothing the call does between
                // the flush and the stop (an answer, a webhook) waits in memory when the recorder stops.
                _hold = TimeSpan.Zero;
                // Answered after every change given before it is stored.
                var flushedBy = Sender;
                AfterStored(flush.AndDeletes ? () => AfterDeletes(() => flushedBy.Tell(StoreFlushed.Instance), retryNow: true) : () => flushedBy.Tell(StoreFlushed.Instance));
                break;
            case PruneCall:
                WriteHeldChanges(next: null);
                // After every change given before it is stored, so that the delete covers them all.
                AfterStored(() =>
                {
                    _sinceSnapshot = 0;
                    _eventDeletes.Request(LastSequenceNr);
                    _snapshotDeletes.Request(long.MaxValue);
                });
                break;
            case SaveSnapshotSuccess saved:
                // Keep the event the snapshot was taken at, so that the call stays listed as live (recovery lists calls by
                // their events that are not deleted); everything before it is covered by the snapshot.
                if (saved.Metadata.SequenceNr > 1)
                {
                    _eventDeletes.Request(saved.Metadata.SequenceNr - 1);
                    _snapshotDeletes.Request(saved.Metadata.SequenceNr - 1);
                }
                break;
            case DeleteMessagesSuccess:
                DeleteSucceeded(events: true);
                break;
            case DeleteMessagesFailure failed:
                DeleteFailed(events: true, failed.ToSequenceNr, failed.Cause);
                break;
            case DeleteSnapshotsSuccess:
                DeleteSucceeded(events: false);
                break;
            case DeleteSnapshotsFailure failed:
                DeleteFailed(events: false, failed.Criteria.MaxSequenceNr, failed.Cause);
                break;
            case DeleteAgain again:
                Deletes(again.Events).Done();
                RunAfterDeletes();
                break;
            case DeleteGranted granted:
                Deletes(granted.Events).Granted();
                break;
            case SaveSnapshotFailure:
                // The events are still there: recovery reads them instead.
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Gives the journal a change. PersistAsync, not Persist: changes that arrive while a write is in flight go to the
    /// journal together as the next write (one transaction: group commit), instead of one write each after the other.
    /// Their handlers still run in order, each once its change is stored.
    /// </summary>
    private void Write(RecordChange record)
    {
        _issued++;
        _written = record.State;
        PersistAsync(record.Change, _ =>
        {
            _state = record.State;
            if (record.Ack)
            {
                Context.Parent.Tell(ChangeRecorded.Instance);
            }

            // Not of an idle state: its prune follows, and a snapshot saved meanwhile could outlive the prune's delete.
            if (++_sinceSnapshot >= _snapshotEvery && !_state.IsIdle)
            {
                _sinceSnapshot = 0;
                SaveSnapshot(CallChange.Of(_state));
            }

            _stored++;
            RunStored();
        });
    }

    /// <summary>
    /// Runs <paramref name="action"/> once every change given so far is stored: at once when none is in flight. Not
    /// <c>DeferAsync</c>: Akka.Persistence.Sql 1.5.73 fails a journal batch that holds only a deferred entry (an empty
    /// write: "Sequence contains no elements"), and each such failure counts against the journal's breaker; a burst of
    /// calls ending together opened it, and it then refused every call's writes for its reset timeout.
    /// </summary>
    private void AfterStored(Action action)
    {
        if (_stored == _issued)
        {
            action();
        }
        else
        {
            (_afterStored ??= new Queue<(long, Action)>()).Enqueue((_issued, action));
        }
    }

    private void RunStored()
    {
        while (_afterStored is { Count: > 0 } queue && queue.Peek().After <= _stored)
        {
            queue.Dequeue().Action();
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

        // A rejected change's handler never runs and the recorder goes on (a failed one stops it): it is settled, so what
        // waits for the changes before it must not wait for it.
        _stored++;
        RunStored();
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        Context.Parent.Tell(new StoreFailed(reason));
        base.OnRecoveryFailure(reason, message);
    }
}
