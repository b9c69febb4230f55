using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>The recorder's deletes: one of each kind at a time, in a slot of the manager's <see cref="DeleteGate"/>, retried when they fail.</summary>
internal sealed partial class CallRecorder
{
    private const int MaxDeleteAttempts = 4;

    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(35), TimeSpan.FromSeconds(90)];

    /// <summary>A failed delete of one kind is due to be tried again (also the key of its timer).</summary>
    private sealed record DeleteAgain(bool Events);

    /// <summary>A slot of the manager's <see cref="DeleteGate"/> for the deletes of one kind.</summary>
    private sealed record DeleteGranted(bool Events);

    private List<Action>? _afterDeletes;

    /// <summary>
    /// Runs <paramref name="action"/> once no delete of this call is running or waiting for a slot (those asked for until
    /// now included): a call's actor that stops right after its flush (its call ended) then stops this recorder only once
    /// its prune has reached the store. A failed delete waiting to be tried again does not hold it (the next start deletes
    /// what it leaves).
    /// </summary>
    private void AfterDeletes(Action action, bool retryNow = false)
    {
        foreach (var events in new[] { true, false })
        {
            var deletes = Deletes(events);
            if (retryNow && deletes.RetryingWithMore)
            {
                // A failed delete waits to be tried again, with more asked for since (the call's prune): tried now, once, so
                // that the flush waits for it (the retry timer would stop with this recorder).
                Timers.Cancel(new DeleteAgain(events));
                deletes.Done();
            }
        }

        if (_eventDeletes.Settled && _snapshotDeletes.Settled)
        {
            action();
        }
        else
        {
            (_afterDeletes ??= []).Add(action);
        }
    }

    private OneAtATime Deletes(bool events) => events ? _eventDeletes : _snapshotDeletes;

    private void DeleteSucceeded(bool events)
    {
        var deletes = Deletes(events);
        deletes.Attempts = 0;
        deletes.Done();
        RunAfterDeletes();
    }

    /// <summary>
    /// A delete failed. It costs space and recovery time, never correctness: the rows are still there. It is tried again
    /// later, with any delete of its kind asked for meanwhile: a deadlock or a busy database passes within seconds, and a
    /// journal or snapshot store whose breaker a burst opened refuses everything for its reset timeout (30 s), so the later
    /// tries wait longer than that, spread out (jitter) so that thousands of calls do not all try at once. After that, the
    /// next start deletes what an idle call left.
    /// </summary>
    private void DeleteFailed(bool events, long toSequenceNr, Exception cause)
    {
        var deletes = Deletes(events);
        var what = events ? "changes" : "snapshots";
        Context.GetLogger().Debug("Call {0}: the playback store could not delete its {1} up to {2} (attempt {3}): {4}", _callId, what, toSequenceNr, deletes.Attempts + 1, cause);
        if (++deletes.Attempts < MaxDeleteAttempts)
        {
            deletes.Wait(toSequenceNr);
            var delay = RetryDelays[deletes.Attempts - 1] + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 10_000));
            Timers.StartSingleTimer(new DeleteAgain(events), new DeleteAgain(events), delay);
            RunAfterDeletes();
            return;
        }

        deletes.Attempts = 0;
        Context.GetLogger().Warning("Call {0}: the playback store could not delete its {1} up to {2} ({3}); the next start deletes them", _callId, what, toSequenceNr, cause.Message);
        deletes.Done();
        RunAfterDeletes();
    }

    private void RunAfterDeletes()
    {
        if (_afterDeletes is { } waiting && _eventDeletes.Settled && _snapshotDeletes.Settled)
        {
            _afterDeletes = null;
            foreach (var action in waiting)
            {
                action();
            }
        }
    }

    /// <summary>
    /// Runs one delete at a time, each in a slot of the manager's <see cref="DeleteGate"/>; one asked for meanwhile (or
    /// while waiting for a slot) is merged with the others (the highest sequence number wins) and runs next.
    /// </summary>
    private sealed class OneAtATime(Action<long> delete, DeleteGate? gate, IActorRef self, DeleteGranted grant)
    {
        private long _running;
        private long _wanted;
        private bool _inGate;
        private bool _retrying;

        /// <summary>Failed attempts of the delete now waiting to be tried again.</summary>
        public int Attempts { get; set; }

        /// <summary>Nothing running or waiting for a slot (a failed delete waiting to be tried again counts as settled).</summary>
        public bool Settled => _running == 0 || _retrying;

        /// <summary>A failed delete waits to be tried again, and more was asked for since.</summary>
        public bool RetryingWithMore => _retrying && _wanted > _running;

        public void Request(long toSequenceNr)
        {
            if (_running > 0)
            {
                _wanted = Math.Max(_wanted, toSequenceNr);
                return;
            }

            _running = toSequenceNr;
            if (gate is null || gate.TryEnter(self, grant))
            {
                Granted();
            }
        }

        /// <summary>The gate gave this a slot: the delete runs with everything asked for so far.</summary>
        public void Granted()
        {
            _inGate = gate is not null;
            _running = Math.Max(_running, _wanted);
            _wanted = 0;
            delete(_running);
        }

        /// <summary>The delete failed and is tried again later: its slot goes to another call meanwhile; <see cref="Done"/> when it is due.</summary>
        public void Wait(long toSequenceNr)
        {
            _wanted = Math.Max(_wanted, toSequenceNr);
            _retrying = true;
            ExitGate();
        }

        public void Done()
        {
            ExitGate();
            _retrying = false;
            _running = 0;
            var wanted = _wanted;
            _wanted = 0;
            if (wanted > 0)
            {
                Request(wanted);
            }
        }

        private void ExitGate()
        {
            if (_inGate)
            {
                _inGate = false;
                gate!.Exit(self);
            }
        }
    }
}
