using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>
/// One call's playbacks. Puts the call's commands on the wire one at a time in arrival order (the rest are stashed
/// while a request is in flight), folds in webhooks at any time, publishes every change, and gives every command
/// exactly one reply. Stops (through its parent) when the call is gone or it has been idle for the idle timeout.
/// </summary>
internal sealed partial class PlaybackActor : UntypedActor, IWithTimers
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

    protected override void PostStop()
    {
        ForgetEvidence();
        TelemetryStopped();
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
                TraceCommand(command);
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

    /// <summary>Webhooks and the watchdog are applied in every behaviour but Gone, never stashed.</summary>
    private bool Webhook(object message, IActorRef sender)
    {
        switch (message)
        {
            case PlayStatusReceived status:
                RecordEvidence(status);
                TraceWebhook(status);
                Apply(_state.PlayStatus(status, Now), sender);
                return true;
            case CallStateReceived state:
                Apply(_state.CallState(state, Now), sender);
                return true;
            case StatusTimedOut timedOut:
                WatchdogFired(timedOut.ControlId);
                Apply(_state.StatusTimedOut(timedOut.ControlId, Now), webhookSender: null);
                return true;
            default:
                return false;
        }
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
