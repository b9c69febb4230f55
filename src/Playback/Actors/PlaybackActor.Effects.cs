using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>The effect interpreter: applies a transition (publish, reply, send, timers, end of call) and puts requests on the wire.</summary>
internal partial class PlaybackActor
{
    /// <summary>
    /// A webhook for the control id of the play on the wire (or a terminal one for the stop on the wire) proves that an
    /// earlier attempt landed: tell the retry loop, so it does not send the command again.
    /// </summary>
    private void RecordEvidence(PlayStatusReceived status)
    {
        if (Settings.Evidence is { } evidence && _evidenceFor is null && State.InFlight is { Request: var request }
            && request.ControlId == status.ControlId
            && (request.Command == ApiCommand.Play || (request.Command == ApiCommand.Stop && status.State is ReportedPlayState.Finished or ReportedPlayState.Error)))
        {
            evidence.Record(CallId, status.ControlId);
            _evidenceFor = status.ControlId;
        }
    }

    private void ForgetEvidence()
    {
        if (_evidenceFor is not null)
        {
            Settings.Evidence!.Forget(CallId, _evidenceFor);
            _evidenceFor = null;
        }
    }

    private void ApplyNow(Transition transition, IActorRef? webhookSender)
    {
        var wasBusy = State.InFlight is not null;
        State = transition.State;
        var ended = false;
        var idleArmed = false;
        foreach (var effect in transition.Effects)
        {
            switch (effect)
            {
                case Publish publish:
                    Published(publish.Event);
                    Publish(publish.Event);
                    break;
                case ReplyToCaller reply:
                    if (State.IsIdle && State.GoneReason is null)
                    {
                        // Arm the idle timer before the caller hears back, so that what the caller does next (and a
                        // virtual clock in tests) already sees it; it is then not armed again below.
                        RestartIdleTimer();
                        idleArmed = true;
                    }

                    _caller?.Tell(CommandErrors.ForCaller(CallId, reply.Reply));
                    _caller = null;
                    break;
                case SendRequest send:
                    Send(send.Request);
                    break;
                case Watch or SettleLater:
                    RunTimer(effect);
                    break;
                case EndCall end:
                    ended = true;
                    CallGone(end.Reason);
                    break;
            }
        }

        if (transition.Webhook is { } result)
        {
            webhookSender?.Tell(result);
        }

        if (State.InFlight is not null)
        {
            if (!wasBusy)
            {
                Become(BusyBehaviour);
            }

            return;
        }

        if (State.GoneReason is not null)
        {
            if (ended || wasBusy)
            {
                // What waited for the request is handled as the ended call handles it: commands fail with the call's end,
                // and a StopIfIdle the parent sent meanwhile (a passivation that began before the call ended) stops the
                // actor. Dropped, that stop would leave the parent waiting for a Terminated that never comes.
                Become(GoneBehaviour);
                _waiting?.RunInOrder(static () => true, Gone);
                OnCallEnded();
            }

            return;
        }

        if (OnRequestDone())
        {
            return;
        }

        if (wasBusy)
        {
            BecomeReady();
            if (State.InFlight is not null || State.GoneReason is not null)
            {
                return;
            }
        }

        // Already armed when the reply left the call idle; a command run from the waiting queue since then set it itself.
        if (!idleArmed)
        {
            RestartIdleTimer();
        }
    }

    /// <summary>Arms or cancels the timer a <see cref="Watch"/> or <see cref="SettleLater"/> effect asks for.</summary>
    private void RunTimer(Effect effect)
    {
        switch (effect)
        {
            case Watch { On: true } watch when Settings.StatusTimeout > TimeSpan.Zero:
                Timers.StartSingleTimer(WatchdogKey(watch.ControlId), new StatusTimedOut(watch.ControlId, Retry: watch.Retry), watch.Soon ? Settings.SettleRetryDelay : Settings.StatusTimeout);
                break;
            case Watch watch:
                Timers.Cancel(WatchdogKey(watch.ControlId));
                break;
            case SettleLater settle:
                Timers.StartSingleTimer(SettleKey(settle.ControlId), new SettleAgain(settle.ControlId), Settings.SettleRetryDelay);
                break;
        }
    }

    /// <summary>Arms the timers of the current state (after a restore or a merged handoff: the predecessor's timers are gone).</summary>
    protected void ArmTimers()
    {
        foreach (var timer in State.TimersToArm())
        {
            RunTimer(timer);
        }
    }

    private static string WatchdogKey(string controlId) => "watchdog:" + controlId;

    private static string SettleKey(string controlId) => "settle:" + controlId;
}
