using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>The effect interpreter: applies a transition (publish, reply, send, timers, end of call) and puts requests on the wire.</summary>
internal sealed partial class PlaybackActor
{
    /// <summary>
    /// A webhook for the control id of the play on the wire (or a terminal one for the stop on the wire) proves that an
    /// earlier attempt landed: tell the retry loop, so it does not send the command again.
    /// </summary>
    private void RecordEvidence(PlayStatusReceived status)
    {
        if (_settings.Evidence is { } evidence && _evidenceFor is null && _state.InFlight is { Request: var request }
            && request.ControlId == status.ControlId
            && (request.Command == ApiCommand.Play || (request.Command == ApiCommand.Stop && status.State is "finished" or "error")))
        {
            evidence.Record(_callId, status.ControlId);
            _evidenceFor = status.ControlId;
        }
    }

    private void ForgetEvidence()
    {
        if (_evidenceFor is not null)
        {
            _settings.Evidence!.Forget(_callId, _evidenceFor);
            _evidenceFor = null;
        }
    }

    private void Apply(Transition transition, IActorRef? webhookSender)
    {
        var wasBusy = _state.InFlight is not null;
        _state = transition.State;
        var ended = false;
        var idleArmed = false;
        foreach (var effect in transition.Effects)
        {
            switch (effect)
            {
                case Publish publish:
                    Publish(publish.Event);
                    break;
                case ReplyToCaller reply:
                    if (_state.IsIdle && _state.GoneReason is null)
                    {
                        // Arm the idle timer before the caller hears back, so that what the caller does next (and a
                        // virtual clock in tests) already sees it; it is then not armed again below.
                        RestartIdleTimer();
                        idleArmed = true;
                    }

                    _caller?.Tell(reply.Reply);
                    _caller = null;
                    break;
                case SendRequest send:
                    Send(send.Request);
                    break;
                case Watch watch:
                    if (watch.On && _settings.StatusTimeout > TimeSpan.Zero)
                    {
                        Timers.StartSingleTimer("watchdog:" + watch.ControlId, new StatusTimedOut(watch.ControlId), _settings.StatusTimeout);
                    }
                    else
                    {
                        Timers.Cancel("watchdog:" + watch.ControlId);
                    }

                    break;
                case SettleLater settle:
                    Timers.StartSingleTimer("settle:" + settle.ControlId, new SettleAgain(settle.ControlId), _settings.SettleRetryDelay);
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

        if (_state.InFlight is not null)
        {
            if (!wasBusy)
            {
                Context.Become(_busy);
            }

            return;
        }

        if (_state.GoneReason is not null)
        {
            if (ended || wasBusy)
            {
                FailStashed();
                Context.Become(_gone);
                if (_handingOff)
                {
                    Context.Stop(Self);
                }
                else
                {
                    RequestPassivation();
                }
            }

            return;
        }

        if (_handingOff)
        {
            HandOff();
            return;
        }

        if (wasBusy)
        {
            Context.Become(_ready);
            RunWaiting();
            if (_state.InFlight is not null || _state.GoneReason is not null)
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

    private void Send(ApiRequest request)
    {
        var sequence = ++_sequence;
        var api = _settings.Api;
        var token = _settings.Shutdown;
        Task task;
        try
        {
            using var trace = EnterCommandTrace();
            task = request.Command switch
            {
                ApiCommand.Play => api.PlayAsync(_callId, request.ControlId, request.Media, request.Options ?? PlayOptions.Default, token),
                ApiCommand.Pause => api.PauseAsync(_callId, request.ControlId, token),
                ApiCommand.Resume => api.ResumeAsync(_callId, request.ControlId, token),
                ApiCommand.Stop => api.StopAsync(_callId, request.ControlId, token),
                _ => api.SetVolumeAsync(_callId, request.ControlId, request.Volume, token),
            };
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }

        _settings.Counters.RequestSent();
        task.PipeTo(Self, success: () => new RequestCompleted(sequence, null), failure: e => new RequestCompleted(sequence, e));
    }

    private PlaybackException ToPlaybackException(Exception error)
    {
        var flight = _state.InFlight!;
        return error switch
        {
            PlaybackException p => p,
            OperationCanceledException => new PlaybackShutdownException($"{flight.Request.WireName} for call {_callId} was cancelled.", _callId, flight.Request.ControlId),
            _ => new CallingApiException(flight.Request.WireName, _callId, flight.Request.ControlId, null, $"{error.GetType().Name}: {error.Message}", null, null, isTransient: false, inner: error),
        };
    }
}
