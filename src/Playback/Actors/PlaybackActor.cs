using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>
/// One call's playbacks. Puts the call's commands on the wire one at a time in arrival order (the rest wait while a
/// request is in flight), folds in webhooks at any time, publishes every change, and gives every command exactly one
/// reply. Stops (through its parent) when the call is gone or it has been idle for the idle timeout. The decisions are
/// <see cref="CallPlaybacks"/>'s; this class does the I/O. Playback.Cluster derives its sharding entity from it, through
/// the protected hooks below.
/// </summary>
internal partial class PlaybackActor : UntypedActor
{
    private static long s_incarnations;
    private ILoggingAdapter? _log;
    private IActorRef? _caller;
    // Request numbers start at a base of their own per incarnation (2^32 apart): the answer to a request of an earlier
    // incarnation (before a restart, which keeps the actor's address) is never taken for this one's.
    private long _sequence = Interlocked.Add(ref s_incarnations, 1L << 32);
    private string? _evidenceFor;
    private WaitingMessages? _waiting;

    // An UntypedActor with shared behaviour delegates (PlaybackActor.Plumbing.cs): a call actor is created per call and
    // switches behaviour on every request, so neither may allocate handler tables (ReceiveActor does, per instance and per Become).
    public PlaybackActor(string callId, PlaybackActorSettings settings)
    {
        CallId = callId;
        Settings = settings;
        State = new CallPlaybacks(callId);
        _behaviour = ReadyBehaviour;
        TakeOverWire();
    }

    /// <summary>A call actor named after its call (<see cref="NameFor"/>): its call id is read back from its name.</summary>
    public PlaybackActor(PlaybackActorSettings settings)
        : this(CallIdOf(Context.Self.Path.Name), settings)
    {
    }

    /// <summary>The mailbox of call actors: a single-consumer queue that costs nothing while empty (the default one pre-allocates a segment per actor).</summary>
    public const string MailboxId = "playback-call-mailbox";

    protected string CallId { get; }

    protected PlaybackActorSettings Settings { get; }

    /// <summary>The call's playbacks: the state machine's current value.</summary>
    protected CallPlaybacks State { get; set; }

    /// <summary>What waits for the call to be ready again; created on first use.</summary>
    protected WaitingMessages Waiting => _waiting ??= new();

    protected DateTimeOffset Now => Context.System.Scheduler.Now;

    protected ILoggingAdapter Log => _log ??= Context.GetLogger();

    /// <summary>
    /// The props of every call actor a registry starts, each named <see cref="NameFor"/> its call: one object for all, where
    /// props made per actor (with the call id among their arguments) cost about 210 B per call, kept for the actor's life.
    /// </summary>
    public static Props Props(PlaybackActorSettings settings) =>
        Akka.Actor.Props.Create(typeof(PlaybackActor), settings).WithMailbox(MailboxId);

    /// <summary>
    /// The name of a call's actor: its call id, escaped as an actor path element (the same string when nothing needs
    /// escaping, e.g. a UUID; "." and ".." are escaped too, not to read as a path's current and parent). Unique among the
    /// registry's children: a call's next actor starts after its last one stopped.
    /// </summary>
    public static string NameFor(string callId) => callId is "." or ".." ? callId.Replace(".", "%2E", StringComparison.Ordinal) : Uri.EscapeDataString(callId);

    /// <summary>The call id an actor named <see cref="NameFor"/> it has.</summary>
    internal static string CallIdOf(string name) => Uri.UnescapeDataString(name);

    protected override void PreStart()
    {
        if (Settings.Persistence is not null)
        {
            RecoverFromStore();
        }

        RestartIdleTimer();
    }

    protected override void PostStop()
    {
        _timers?.CancelAll();
        _idleTick?.Cancel();
        var withdrawn = LeaveOnTheWire();
        ForgetEvidence();
        TelemetryStopped();
        if (_caller is not null)
        {
            var what = !withdrawn ? "request completed; it may have been applied."
                : Settings.Persistence is null ? "request went out (it waited for an earlier request of the call). Nothing was sent; it is safe to send again."
                : "request went out (it waited for an earlier request of the call). It is recorded in the playback store as on its way: the call's next actor sends it; do not send it again.";
            _caller.Tell(new CommandFailed(new PlaybackShutdownException($"The actor of call {CallId} stopped before the command's {what}", CallId, State.InFlight?.Request.ControlId)
            {
                MayHaveBeenApplied = !withdrawn || Settings.Persistence is not null,
            }));
            _caller = null;
        }

        if (_pending is { IsWebhook: true, WebhookSender: { } hook })
        {
            hook.Tell(NotStored); // its write was under way: unanswered, the endpoint would wait for AskTimeout
        }

        // Commands still waiting (in the store's stash or the busy buffer) are answered alike.
        var reason = State.GoneReason;
        CommandReply Unanswered(IPlaybackCommand command) => reason is not null ? CommandErrors.Gone(command, CallId, reason) : Unsent(command);
        AnswerStashed(Unanswered);
        _waiting?.AnswerCommands(Unanswered);
    }

    // ───────────── Hooks: what a sharding entity (Playback.Cluster) does differently ─────────────

    /// <summary>Publishes a playback change (to this node's subscribers; a cluster entity publishes to every node).</summary>
    protected virtual void Publish(PlaybackEvent e) => Settings.Hub.Publish(e);

    /// <summary>The call has been idle for the idle timeout: asks the parent to stop this actor.</summary>
    protected virtual void OnIdle() => Context.Parent.Tell(new Passivate(CallId));

    /// <summary>The call is gone: asks the parent to stop this actor.</summary>
    protected virtual void OnCallEnded() => Context.Parent.Tell(new Passivate(CallId));

    /// <summary>The request in flight completed and the call is ready for more; true when the hook took over (e.g. handed the call off).</summary>
    protected virtual bool OnRequestDone() => false;

    /// <summary>The reply for a command that waited and was never run when the actor stops.</summary>
    protected virtual CommandReply Unsent(IPlaybackCommand command) => CommandErrors.Shutdown(command, CallId);

    /// <summary>Messages the core does not know, in each behaviour; true when handled.</summary>
    protected virtual bool ReceiveReady(object message) => false;

    /// <inheritdoc cref="ReceiveReady"/>
    protected virtual bool ReceiveBusy(object message) => false;

    /// <inheritdoc cref="ReceiveReady"/>
    protected virtual bool ReceiveGone(object message) => false;

    // ───────────── Behaviours ─────────────

    /// <summary>Back to the ready behaviour (after a request, or after a restore in a cluster) and runs what waited.</summary>
    protected void BecomeReady()
    {
        Become(ReadyBehaviour);
        RunWaiting();
    }

    private void Ready(object message) => Ready(message, Sender);

    private void Ready(object message, IActorRef sender)
    {
        switch (message)
        {
            case IPlaybackCommand command:
                _caller = sender;
                TraceCommand(command);
                Apply(State.Decide(command, Now), webhookSender: null, isCommand: true);
                break;
            case SettleAgain settle:
                Apply(State.SettleAgain(settle.ControlId, Now), webhookSender: null);
                break;
            case IdleTick:
                IdleCheck();
                break;
            case StopIfIdle:
                if (State.IsIdle)
                {
                    Context.Stop(Self);
                }
                else
                {
                    Context.Parent.Tell(new PassivationCancelled(CallId));
                }

                break;
            default:
                if (!Webhook(message, sender) && !StoreMessage(message) && !ReceiveReady(message))
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
                _wire = null;
                ForgetEvidence();
                Settings.Counters.RequestCompleted(done.Error);
                var now = Now;
                var error = Resent(done.Error);
                Apply(error is null ? State.RequestSucceeded(now) : State.RequestFailed(CommandErrors.FromRequest(error, CallId, State.InFlight!.Request), now), webhookSender: null);
                break;
            case RequestCompleted:
            case IdleTick:
                break;
            default:
                if (!Webhook(message, Sender) && !StoreMessage(message) && !ReceiveBusy(message))
                {
                    Waiting.Hold(message, Sender);
                }

                break;
        }
    }

    private void Gone(object message) => Gone(message, Sender);

    private void Gone(object message, IActorRef sender)
    {
        switch (message)
        {
            case IPlaybackCommand command:
                sender.Tell(CommandErrors.Gone(command, CallId, State.GoneReason));
                break;
            case PlayStatusReceived or CallStateReceived:
                sender.Tell(WebhookResult.Accepted($"call {CallId} has ended"));
                break;
            case StopIfIdle when _recorder is { } recorder:
                // With a store: stopped once the recorder (a child, which stops with this actor) has stored the call's last
                // changes and its prune has reached the store; stopped at once, the end and the delete could be lost.
                PruneIfIdle(); // a prune the end's own write did not ask for yet goes first: the flush waits for its delete
                recorder.Tell(new FlushCall(CallId, AndDeletes: true));
                Become(GoneFlushingBehaviour);
                break;
            case StopIfIdle:
                Context.Stop(Self);
                break;
            case IdleTick or StatusTimedOut or RequestCompleted or SettleAgain:
                break;
            case RecoverCall:
                sender.Tell(new CallReady(CallId, Live: false));
                break;
            case FindPlayback:
                sender.Tell(new FoundPlayback(null, false));
                break;
            default:
                if (!StoreMessage(message) && !ReceiveGone(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    /// <summary>Webhooks and the watchdog are applied in every behaviour but Gone, never held.</summary>
    private bool Webhook(object message, IActorRef sender)
    {
        switch (message)
        {
            case PlayStatusReceived status:
                RecordEvidence(status);
                TraceWebhook(status);
                Apply(State.PlayStatus(status, Now), sender, isWebhook: true);
                return true;
            case CallStateReceived state:
                Apply(State.CallState(state, Now), sender, isWebhook: true);
                return true;
            case RecoverCall:
                sender.Tell(new CallReady(CallId, Live: !State.IsIdle));
                return true;
            case FindPlayback find:
                var found = State.Playbacks.GetValueOrDefault(find.ControlId) is { } entry && !entry.State.IsTerminal() ? entry : null;
                sender.Tell(new FoundPlayback(found is null ? null : State.Snapshot(found), found?.Options.StatusUrl is not null));
                return true;
            case StatusTimedOut timedOut:
                var silent = State.StatusTimedOut(timedOut.ControlId, Now);
                if (!timedOut.Retry && silent.Effects.Any(e => e is SendRequest { Request: { Command: ApiCommand.Stop } stop } && stop.ControlId == timedOut.ControlId))
                {
                    WatchdogFired(timedOut.ControlId); // it stops the playback (not when it only waits for a request in flight)
                }

                Apply(silent, webhookSender: null);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Handles the messages that waited for the request, in order, until one puts a new request on the wire.</summary>
    private void RunWaiting()
    {
        if (_waiting is { IsEmpty: false } waiting)
        {
            waiting.RunInOrder(() => State.InFlight is null && State.GoneReason is null, Ready);
        }
    }
}
