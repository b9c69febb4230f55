using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>
/// One call's playbacks. Puts the call's commands on the wire one at a time in arrival order (the rest are stashed
/// while a request is in flight), folds in webhooks at any time, publishes every change, and gives every command
/// exactly one reply. Stops (through its parent) when the call is gone or it has been idle for the idle timeout.
/// </summary>
internal sealed class PlaybackActor : UntypedActor, IWithTimers
{
    private const string IdleTimerKey = "idle";

    private readonly string _callId;
    private readonly PlaybackActorSettings _settings;
    private readonly UntypedReceive _ready;
    private readonly UntypedReceive _busy;
    private readonly UntypedReceive _gone;
    private ILoggingAdapter? _log;
    private CallPlaybacks _state;
    private IActorRef? _caller;
    private long _sequence;

    // An UntypedActor with cached behaviour delegates: a call actor is created per call and switches behaviour on
    // every request, so neither may allocate handler tables (ReceiveActor does, per instance and per Become).
    public PlaybackActor(string callId, PlaybackActorSettings settings)
    {
        _callId = callId;
        _settings = settings;
        _state = new CallPlaybacks(callId);
        _ready = Ready;
        _busy = Busy;
        _gone = Gone;
    }

    /// <summary>
    /// Messages that arrived while a request was in flight, with their senders, in arrival order. Kept here rather than in
    /// Akka's stash, which needs a deque mailbox that pre-allocates per actor; created on first use.
    /// </summary>
    private Queue<(object Message, IActorRef Sender)>? _waiting;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The mailbox of call actors: a single-consumer queue that costs nothing while empty (the default one pre-allocates a segment per actor).</summary>
    public const string MailboxId = "playback-call-mailbox";

    public static Props Props(string callId, PlaybackActorSettings settings) =>
        Akka.Actor.Props.Create(typeof(PlaybackActor), callId, settings).WithMailbox(MailboxId);

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    private ILoggingAdapter Log => _log ??= Context.GetLogger();

    protected override void PreStart() => RestartIdleTimer();

    protected override void OnReceive(object message) => Ready(message);

    protected override void PostStop()
    {
        var reason = _state.GoneReason;
        if (_caller is not null)
        {
            _caller.Tell(new CommandFailed(new PlaybackShutdownException($"The actor of call {_callId} stopped before the command's request completed.", _callId, _state.InFlight?.Request.ControlId)));
            _caller = null;
        }

        while (_waiting is { Count: > 0 })
        {
            var (message, sender) = _waiting.Dequeue();
            if (message is IPlaybackCommand command)
            {
                sender.Tell(reason is null
                    ? new CommandFailed(new PlaybackShutdownException($"{command.Name} for call {_callId} was not run: Playback is shutting down.", _callId, command.ControlId))
                    : new CommandFailed(new CallGoneException(command.Name, _callId, command.ControlId, null, reason, null)));
            }
        }
    }

    private void Ready(object message) => Ready(message, Sender);

    private void Ready(object message, IActorRef sender)
    {
        switch (message)
        {
            case IPlaybackCommand command:
                _caller = sender;
                Apply(_state.Decide(command, Now), webhookSender: null);
                break;
            case IdleTick:
                if (_state.IsIdle)
                {
                    Context.Parent.Tell(new Passivate(_callId));
                }

                break;
            case StopIfIdle:
                if (_state.IsIdle)
                {
                    Context.Stop(Self);
                }
                else
                {
                    Context.Parent.Tell(new PassivationCancelled(_callId));
                }

                break;
            default:
                if (!Webhook(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    private void Busy(object message)
    {
        switch (message)
        {
            case RequestCompleted done when done.Sequence == _sequence:
                _settings.Counters.RequestCompleted(done.Error);
                var now = Now;
                Apply(done.Error is null ? _state.RequestSucceeded(now) : _state.RequestFailed(ToPlaybackException(done.Error), now), webhookSender: null);
                break;
            case RequestCompleted:
            case IdleTick:
                break;
            default:
                if (!Webhook(message))
                {
                    (_waiting ??= new Queue<(object, IActorRef)>()).Enqueue((message, Sender));
                }

                break;
        }
    }

    private void Gone(object message)
    {
        switch (message)
        {
            case IPlaybackCommand command:
                Sender.Tell(new CommandFailed(new CallGoneException(command.Name, _callId, command.ControlId, null, _state.GoneReason, null)));
                break;
            case PlayStatusReceived or CallStateReceived:
                Sender.Tell(WebhookResult.Accepted($"call {_callId} has ended"));
                break;
            case StopIfIdle:
                Context.Stop(Self);
                break;
            case IdleTick or StatusTimedOut or RequestCompleted:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Webhooks and the watchdog are applied in every behaviour but Gone, never stashed.</summary>
    private bool Webhook(object message)
    {
        switch (message)
        {
            case PlayStatusReceived status:
                Apply(_state.PlayStatus(status, Now), Sender);
                return true;
            case CallStateReceived state:
                Apply(_state.CallState(state, Now), Sender);
                return true;
            case StatusTimedOut timedOut:
                Log.Warning("Playback {0} on call {1} had no status for {2}; marking it failed.", timedOut.ControlId, _callId, _settings.StatusTimeout);
                Apply(_state.StatusTimedOut(timedOut.ControlId, Now), webhookSender: null);
                return true;
            default:
                return false;
        }
    }

    private void Apply(Transition transition, IActorRef? webhookSender)
    {
        var wasBusy = _state.InFlight is not null;
        _state = transition.State;
        var ended = false;
        foreach (var effect in transition.Effects)
        {
            switch (effect)
            {
                case Publish publish:
                    _settings.Hub.Publish(publish.Event);
                    break;
                case ReplyToCaller reply:
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
                case EndCall end:
                    ended = true;
                    Log.Info("Call {0} is gone ({1}); ending its playbacks.", _callId, end.Reason);
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
                Context.Parent.Tell(new Passivate(_callId));
            }

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

        RestartIdleTimer();
    }

    private void Send(ApiRequest request)
    {
        var sequence = ++_sequence;
        var api = _settings.Api;
        var token = _settings.Shutdown;
        Task task;
        try
        {
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

    /// <summary>Handles the messages that waited for the request, in order, until one puts a new request on the wire.</summary>
    private void RunWaiting()
    {
        while (_waiting is { Count: > 0 } && _state.InFlight is null && _state.GoneReason is null)
        {
            var (message, sender) = _waiting.Dequeue();
            Ready(message, sender);
        }
    }

    private void FailStashed()
    {
        while (_waiting is { Count: > 0 })
        {
            var (message, sender) = _waiting.Dequeue();
            if (message is IPlaybackCommand command)
            {
                sender.Tell(new CommandFailed(new CallGoneException(command.Name, _callId, command.ControlId, null, _state.GoneReason, null)));
            }
        }
    }

    private void RestartIdleTimer()
    {
        if (_state.IsIdle)
        {
            Timers.StartSingleTimer(IdleTimerKey, IdleTick.Instance, _settings.IdleTimeout);
        }
        else
        {
            Timers.Cancel(IdleTimerKey);
        }
    }
}
