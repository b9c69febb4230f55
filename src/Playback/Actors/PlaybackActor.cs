using System.Collections.Immutable;
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
    private const string RestoreTimerKey = "restore";

    private readonly string _callId;
    private readonly PlaybackActorSettings _settings;
    private readonly UntypedReceive _ready;
    private readonly UntypedReceive _busy;
    private readonly UntypedReceive _gone;
    private readonly UntypedReceive? _restoring;
    private readonly UntypedReceive? _passivating;
    private readonly ClusterEntityHooks? _cluster;
    private ImmutableArray<PlaybackSnapshot> _seedLost;
    private bool _handingOff;
    private (IActorRef Sender, string Name, string ControlId)?[]? _recentCommands;
    private int _recentNext;
    private ILoggingAdapter? _log;
    private CallPlaybacks _state;
    private IActorRef? _caller;
    private long _sequence;
    private string? _evidenceFor;

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
        _cluster = settings.Cluster;
        if (_cluster is not null)
        {
            // Behaviours used only as a sharding entity: no delegates for them on a single node.
            _restoring = Restoring;
            _passivating = Passivating;
        }
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

    protected override void PreStart()
    {
        if (_cluster is not null && _cluster.Seed(_callId) is { Count: > 0 } seen)
        {
            // The events say this call had playbacks on another node: hold everything until its handoff arrives (or,
            // when that node was lost, for the restore timeout) and start from what the events tell meanwhile.
            _state = CallPlaybacks.FromEvents(_callId, seen, out _seedLost);
            Context.Become(_restoring!);
            Timers.StartSingleTimer(RestoreTimerKey, RestoreTimedOut.Instance, _cluster.RestoreTimeout);
            return;
        }

        RestartIdleTimer();
    }

    protected override void OnReceive(object message) => Ready(message);

    /// <summary>
    /// In a cluster, whether this command arrived before from this sender. Each command has its own sender (its courier),
    /// so the same command from the same sender is a resent copy. Remembers the last 32; allocated on first use.
    /// </summary>
    private bool SeenBefore(IActorRef sender, IPlaybackCommand command)
    {
        _recentCommands ??= new (IActorRef, string, string)?[32];
        foreach (var seen in _recentCommands)
        {
            if (seen is var (s, name, controlId) && s.Equals(sender) && name == command.Name && controlId == command.ControlId)
            {
                return true;
            }
        }

        _recentCommands[_recentNext] = (sender, command.Name, command.ControlId);
        _recentNext = (_recentNext + 1) % _recentCommands.Length;
        return false;
    }

    /// <summary>In a cluster, every command is acknowledged on arrival so that its sender can watch this actor's node.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        if (_cluster is not null && message is IPlaybackCommand)
        {
            Sender.Tell(CommandReceived.Instance);
            if (SeenBefore(Sender, (IPlaybackCommand)message))
            {
                // A copy its courier sent again (it could not tell whether the first arrived): the first gets the reply.
                return true;
            }
        }

        return base.AroundReceive(receive, message);
    }

    protected override void PostStop()
    {
        ForgetEvidence();
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
                sender.Tell(reason is not null
                    ? new CommandFailed(new CallGoneException(command.Name, _callId, command.ControlId, null, reason, null))
                    : _cluster is not null
                        ? Moved(command)
                        : new CommandFailed(new PlaybackShutdownException($"{command.Name} for call {_callId} was not run: Playback is shutting down.", _callId, command.ControlId)));
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
            case SettleAgain settle:
                Apply(_state.SettleAgain(settle.ControlId, Now), webhookSender: null);
                break;
            case IdleTick:
                if (_state.IsIdle)
                {
                    RequestPassivation();
                    if (_cluster is not null)
                    {
                        Context.Become(_passivating!);
                    }
                }

                break;
            case HandOffCall:
                HandOff();
                break;
            case CallHandoff handoff:
                _state = _state.Merge(handoff);
                ArmWatchdogs();
                RestartIdleTimer();
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
                if (!Webhook(message, sender))
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
                ForgetEvidence();
                _settings.Counters.RequestCompleted(done.Error);
                var now = Now;
                Apply(done.Error is null ? _state.RequestSucceeded(now) : _state.RequestFailed(ToPlaybackException(done.Error), now), webhookSender: null);
                break;
            case RequestCompleted:
            case IdleTick:
                break;
            case HandOffCall:
                // Finish the request first (its caller gets its real outcome), then hand off.
                _handingOff = true;
                break;
            case CallHandoff handoff:
                _state = _state.Merge(handoff);
                break;
            default:
                if (!Webhook(message, Sender))
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
            case StopIfIdle or HandOffCall:
                Context.Stop(Self);
                break;
            case IdleTick or StatusTimedOut or RequestCompleted or CallHandoff or SettleAgain:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// In a cluster, after the events showed a predecessor on another node: everything waits for its handoff (or the
    /// restore timeout), in arrival order.
    /// </summary>
    private void Restoring(object message)
    {
        switch (message)
        {
            case CallHandoff handoff:
                _state = CallPlaybacks.FromHandoff(handoff);
                _seedLost = ImmutableArray<PlaybackSnapshot>.Empty;
                FinishRestore();
                break;
            case RestoreTimedOut:
                FinishRestore();
                break;
            case HandOffCall:
                // Moved again before the handoff came: it is still on its way (through the region) to the next home.
                ReleaseWaiting();
                Context.Stop(Self);
                break;
            case IdleTick or StopIfIdle:
                break;
            default:
                (_waiting ??= new Queue<(object, IActorRef)>()).Enqueue((message, Sender));
                break;
        }
    }

    /// <summary>
    /// In a cluster, after asking the shard to passivate this idle actor: the shard buffers what comes next; what arrived
    /// before waits here and goes back through the region when the actor stops, to reach its successor.
    /// </summary>
    private void Passivating(object message)
    {
        switch (message)
        {
            case StopIfIdle:
                var region = _cluster!.Region();
                while (_waiting is { Count: > 0 })
                {
                    var (waiting, sender) = _waiting.Dequeue();
                    region.Tell(waiting, sender);
                }

                Context.Stop(Self);
                break;
            case HandOffCall:
                ReleaseWaiting();
                Context.Stop(Self);
                break;
            case IdleTick or StatusTimedOut or RequestCompleted or RestoreTimedOut:
                break;
            default:
                (_waiting ??= new Queue<(object, IActorRef)>()).Enqueue((message, Sender));
                break;
        }
    }

    private void FinishRestore()
    {
        Timers.Cancel(RestoreTimerKey);
        var now = Now;
        foreach (var lost in _seedLost)
        {
            Publish(new PlaybackEvent(_callId, lost.ControlId, PlaybackState.Failed, lost.State, lost.Volume, "its node left the cluster before it started; its media was lost", now, PlaybackChange.State));
        }

        _seedLost = ImmutableArray<PlaybackSnapshot>.Empty;
        ArmWatchdogs();
        Context.Become(_ready);
        RunWaiting();
        if (_state.InFlight is null && _state.GoneReason is null)
        {
            RestartIdleTimer();
        }
    }

    /// <summary>Restarts the watchdog of every playing playback that has one, and the settle timer of every unconfirmed play (after a restore: the predecessor's timers are gone).</summary>
    private void ArmWatchdogs()
    {
        foreach (var entry in _state.Playbacks.Values)
        {
            if (entry is { Unconfirmed: true, Heard: false } && !entry.State.IsTerminal())
            {
                Timers.StartSingleTimer("settle:" + entry.ControlId, new SettleAgain(entry.ControlId), _settings.SettleRetryDelay);
            }

            if (_settings.StatusTimeout > TimeSpan.Zero && entry.State == PlaybackState.Playing && entry.Watchable)
            {
                Timers.StartSingleTimer("watchdog:" + entry.ControlId, new StatusTimedOut(entry.ControlId), _settings.StatusTimeout);
            }
        }
    }

    /// <summary>In a cluster, when this node hands the call off: waiting commands fail as moved (never sent: the caller's manager sends them again), waiting webhooks go back through the region.</summary>
    private void ReleaseWaiting()
    {
        var region = _cluster!.Region();
        while (_waiting is { Count: > 0 })
        {
            var (message, sender) = _waiting.Dequeue();
            if (message is IPlaybackCommand command)
            {
                sender.Tell(Moved(command));
            }
            else
            {
                region.Tell(message, sender);
            }
        }
    }

    /// <summary>The node is leaving: no request is in flight; pass the state to the successor and stop.</summary>
    private void HandOff()
    {
        ReleaseWaiting();
        var handoff = _state.ToHandoff();
        if (!handoff.Playbacks.IsEmpty && _cluster!.HasSuccessor())
        {
            _cluster.Region().Tell(handoff);
        }

        Context.Stop(Self);
    }

    private CommandFailed Moved(IPlaybackCommand command) =>
        new(new PlaybackMovedException($"{command.Name} for call {_callId} was not sent: the call's actor moved to another node. Send it again.", _callId, command.ControlId));

    private void RequestPassivation() =>
        Context.Parent.Tell(_cluster is null ? new Passivate(_callId) : _cluster.PassivateRequest);

    private void Publish(PlaybackEvent e)
    {
        if (_cluster is null)
        {
            _settings.Hub.Publish(e);
        }
        else
        {
            _cluster.Publish(e);
        }
    }

    /// <summary>Webhooks and the watchdog are applied in every behaviour but Gone, never stashed.</summary>
    private bool Webhook(object message, IActorRef sender)
    {
        switch (message)
        {
            case PlayStatusReceived status:
                RecordEvidence(status);
                Apply(_state.PlayStatus(status, Now), sender);
                return true;
            case CallStateReceived state:
                Apply(_state.CallState(state, Now), sender);
                return true;
            case StatusTimedOut timedOut:
                Log.Warning("Playback {0} on call {1} had no status for {2}; marking it failed.", timedOut.ControlId, _callId, _settings.StatusTimeout);
                Apply(_state.StatusTimedOut(timedOut.ControlId, Now), webhookSender: null);
                return true;
            default:
                return false;
        }
    }

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
