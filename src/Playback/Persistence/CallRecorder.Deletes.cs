using Akka.Actor;

namespace Playback;

/// <summary>The recorder's deletes: one of each kind at a time, in a slot of the manager's <see cref="DeleteGate"/>, retried when they fail.</summary>
internal sealed partial class CallRecorder
{
    private const int MaxDeleteAttempts = 4;

    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(35), TimeSpan.FromSeconds(90)];

    private sealed class DeleteAgain
    {
        public static readonly DeleteAgain Instance = new();
    }

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
        if (retryNow && _eventDeletes.RetryingWithMore)
        {
            // A failed delete waits to be tried again, with more asked for since (the call's prune): tried now, once, so
            // that the flush waits for it (the retry timer would stop with this recorder).
            Timers.Cancel(DeleteAgain.Instance);
            _eventDeletes.Done();
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
