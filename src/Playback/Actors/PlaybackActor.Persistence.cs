using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>
/// Persistence (README, "Surviving restarts"): with a store, each change of the call's state is written by the call's
/// <see cref="CallRecorder"/> before any of its effects run (write-ahead: nothing goes on the wire that a restart would
/// forget), and the call starts from what the store has. Everything that arrives meanwhile waits in the stash, in order.
/// </summary>
internal partial class PlaybackActor
{
    private IActorRef? _recorder;
    private static readonly Behaviour RecordingBehaviour = static (actor, message) => actor.Recording(message);
    private static readonly Behaviour RecoveringBehaviour = static (actor, message) => actor.Recovering(message);
    private bool _recovering;
    private (Transition Transition, IActorRef? WebhookSender, bool IsCommand, bool IsWebhook)? _pending;
    private bool _storeStale;
    private bool _storeHasEvents;
    private bool _resent;
    private int _recorders;

    private IStash? _stash;

    /// <summary>
    /// Where messages wait during a write or a recovery; created on first use, so only with a store (Akka's
    /// <c>IWithUnboundedStash</c> makes one for every actor). It is emptied when the actor stops (<see cref="AnswerStashed"/>),
    /// which a restart does too, so nothing is left in it for Akka to put back then.
    /// </summary>
    private IStash Stash => _stash ??= new Akka.Actor.Internal.UnboundedStashImpl(Context);

    /// <summary>True while a change is being written or the call is being recovered: messages wait in the stash.</summary>
    protected bool IsHolding => _pending is not null || _recovering;

    /// <summary>Starts from the store's state (PreStart, when persistence is on); everything waits until it is read.</summary>
    protected void RecoverFromStore()
    {
        _recovering = true;
        EnsureRecorder();
        BecomeStacked(RecoveringBehaviour);
    }

    private void Apply(Transition transition, IActorRef? webhookSender, bool isCommand = false, bool isWebhook = false)
    {
        if (Settings.Persistence is null)
        {
            ApplyNow(transition, webhookSender);
            return;
        }

        var change = _storeStale ? CallChange.Of(transition.State) : CallChange.Between(State, transition.State);
        if (change.IsEmpty)
        {
            ApplyNow(transition, webhookSender);
            return;
        }

        // Write-ahead where it matters: a caller's command (what it is told was accepted is never forgotten, e.g. a queued
        // play), a webhook (answered only once written: SignalWire does not send again what got its 2xx, so a webhook lost
        // in a crash would leave a finished playback live after the restart) and any change that puts a request on the
        // wire wait for their write; so does the end of the call (its actor stops right after, and its recorder with it:
        // written behind, the end and the call's prune could be lost with them). Any other change reports what has
        // already happened (an answer, a timer): it is written behind its effects, in order, and a crash before it lands
        // only means the request is sent again on recovery, or the timer fires again (truth under failure).
        var ahead = isCommand || isWebhook || transition.Effects.Any(e => e is SendRequest or EndCall);
        EnsureRecorder().Tell(new RecordChange(change, transition.State, Ack: ahead));
        _storeStale = false;
        _storeHasEvents = true;
        if (!ahead)
        {
            ApplyNow(transition, webhookSender);
            PruneIfIdle();
            return;
        }

        _pending = (transition, webhookSender, isCommand, isWebhook);
        BecomeStacked(RecordingBehaviour);
    }

    private void Recording(object message)
    {
        switch (message)
        {
            case ChangeRecorded or StoreFailed when !Sender.Equals(_recorder):
                break; // from a recorder dropped after a failure: it is not this write's answer
            case ChangeRecorded:
                Recorded(apply: true);
                break;
            case StoreFailed failed:
                WriteFailed(failed.Cause);
                break;
            case Terminated t when t.ActorRef.Equals(_recorder):
                WriteFailed(new InvalidOperationException("the call's journal stopped"));
                break;
            case CallRecovered:
                // A recorder recreated after a failed write read the store; this actor's state is ahead of it.
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    /// <summary>
    /// The write failed. A caller's command is refused (nothing of it was sent, and the call is unchanged); any other input
    /// is applied anyway, because what it reports has already happened, and the next write resyncs the whole state. A
    /// webhook is answered "unavailable" all the same (503 at the endpoint), so that SignalWire sends it again and its next
    /// delivery is written (applied twice, it changes nothing more).
    /// </summary>
    private void WriteFailed(Exception cause)
    {
        DropRecorder();
        LogStoreFailure(cause);
        var pending = _pending!.Value;
        if (pending.IsCommand)
        {
            _caller?.Tell(new CommandFailed(new PlaybackStoreException($"The command was not sent: its intent could not be written to the playback store ({cause.Message}).", cause, CallId)));
            _caller = null;
            Recorded(apply: false);
            return;
        }

        if (pending.IsWebhook)
        {
            _pending = pending with { Transition = pending.Transition with { Webhook = NotStored } };
        }

        Recorded(apply: true);
    }

    /// <summary>The answer to a webhook whose change was not written (the store failed, or the call's actor stopped first).</summary>
    private static readonly WebhookResult NotStored =
        WebhookResult.Rejected("its change could not be written to the playback store; send it again", WebhookRejection.Unavailable);

    private void Recorded(bool apply)
    {
        var pending = _pending!.Value;
        _pending = null;
        UnbecomeStacked();
        if (apply)
        {
            ApplyNow(pending.Transition, pending.WebhookSender);
        }
        else
        {
            RestartIdleTimer();
        }

        PruneIfIdle();
        Stash.UnstashAll();
    }

    /// <summary>Errors of a request sent again after recovery: an earlier attempt may have landed.</summary>
    private Exception? Resent(Exception? error)
    {
        var resent = _resent;
        _resent = false;
        return resent && error is CallingApiException api ? api.AsMaybeApplied() : error;
    }

    private void PruneIfIdle()
    {
        // Also after a failed write (the recorder was dropped): a new one reads the call and deletes what it finds.
        if ((_storeHasEvents || _storeStale) && State.IsIdle && Settings.Persistence is not null)
        {
            _storeHasEvents = false;
            EnsureRecorder().Tell(PruneCall.Instance);
        }
    }

    /// <summary>The call has ended and its actor stops once its recorder has flushed (or failed); meanwhile it answers as an ended call.</summary>
    private void GoneFlushing(object message)
    {
        switch (message)
        {
            case StoreFlushed:
                Context.Stop(Self);
                break;
            case StopIfIdle:
                break; // already stopping
            case Terminated or StoreFailed when StoreMessage(message):
                Context.Stop(Self); // the recorder failed: nothing more will be stored by it
                break;
            default:
                Gone(message);
                break;
        }
    }

    /// <summary>Store messages outside a write or a recovery; true when handled.</summary>
    private bool StoreMessage(object message)
    {
        switch (message)
        {
            case Terminated t when t.ActorRef.Equals(_recorder):
                DropRecorder();
                return true;
            case StoreFailed when !Sender.Equals(_recorder):
                return true; // from a recorder already dropped
            case StoreFailed failed:
                // A write behind its effects failed: the next write resyncs the whole state through a new recorder.
                LogStoreFailure(failed.Cause);
                DropRecorder();
                return true;
            case CallRecovered or ChangeRecorded:
                return true;
            case FlushCall flush:
                // The recorder answers after every write it was given: a graceful stop loses no change written behind.
                if (_recorder is null)
                {
                    Sender.Tell(StoreFlushed.Instance);
                }
                else
                {
                    _recorder.Forward(flush);
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>Forgets a recorder that failed (a new one is started for the next write, and that write resyncs the whole state).</summary>
    private void DropRecorder()
    {
        _storeStale = true;
        if (_recorder is { } old)
        {
            Context.Unwatch(old);
            Context.Stop(old);
            _recorder = null;
        }
    }

    /// <summary>Answers what waits in the stash when the actor stops: commands with <paramref name="reply"/>, webhooks with a 503 (sent again later).</summary>
    private void AnswerStashed(Func<IPlaybackCommand, CommandReply> reply, string webhookReason = "Playback is shutting down", Status.Failure? lookups = null)
    {
        foreach (var envelope in _stash?.ClearStash() ?? [])
        {
            Refusals.Refuse(envelope.Message, envelope.Sender, reply, webhookReason, lookups);
        }
    }

    private void LogStoreFailure(Exception cause) =>
        Log.Error(cause, "Call {0}: the playback store failed ({1}); commands are refused until it writes again, other inputs are applied and resynced", CallId, cause.Message);

    /// <summary>
    /// A journal that throws is stopped, never restarted: a restarted one would lose the changes it held and read the store
    /// again without this actor knowing. Its <c>Terminated</c> drops it, and the next write resyncs the whole state.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => StopFailedChild;

    private static readonly SupervisorStrategy StopFailedChild = new OneForOneStrategy(_ => Directive.Stop);

    private IActorRef EnsureRecorder()
    {
        if (_recorder is null)
        {
            _recorder = Context.ActorOf(CallRecorder.Props(CallId, Settings.Persistence!.SnapshotEvery, Settings.Deletes, Settings.WriteBehindHold), "journal-" + (++_recorders).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Context.Watch(_recorder);
        }

        return _recorder;
    }
}
