using Akka.Actor;
using Akka.Dispatch;

namespace Playback;

/// <summary>
/// Routes per-call messages by call id. Commands create the call's <see cref="PlaybackActor"/> on demand; webhooks
/// reach existing actors only (a webhook for an unknown call is counted and answered Ignored, never creating an actor).
/// Passivation is a handshake, so that no message is lost while a call actor stops: messages for a stopping actor are
/// buffered and handed to its successor. While a call's actor runs, the facade tells it most messages straight
/// (<see cref="CallRoutes"/>): the registry opens and closes that route.
/// </summary>
internal sealed partial class CallRegistry : ReceiveActor
{
    private readonly PlaybackActorSettings _settings;
    private readonly Props _callProps;
    private readonly CallRoutes _routes;

    /// <summary>The calls whose actor passivates, with what came for them meanwhile (handed to the actor or its successor).</summary>
    private readonly Dictionary<string, List<(IWithCallId Message, IActorRef Sender)>> _passivating = new(StringComparer.Ordinal);
    private HashSet<string>? _toRecover;
    private List<(IWithCallId Message, IActorRef Sender)>? _heldUntilListed;
    private readonly HashSet<string> _heldCalls = new(StringComparer.Ordinal); // the calls with webhooks in _heldUntilListed
    private HashSet<string>? _unreadable; // passivating calls whose store could not be read
    private bool _draining; // routing what waited for the listing: no route opens until all of it is routed

    public CallRegistry(PlaybackActorSettings settings)
        : this(settings, PlaybackActor.Props(settings))
    {
    }

    /// <summary>A registry whose call actors are made from <paramref name="callProps"/> (tests script them).</summary>
    public CallRegistry(PlaybackActorSettings settings, Props callProps)
    {
        _settings = settings;
        // The call actors run on their registry's dispatcher (Playback's own, InlineExecutor, when the manager made it).
        _callProps = callProps.Dispatcher == Dispatchers.DefaultDispatcherId ? callProps.WithDispatcher(Context.Props.Dispatcher) : callProps;
        _routes = settings.Routes ?? new CallRoutes();
        // With a store, webhooks for calls this registry does not know wait until the store's live calls are listed (once:
        // a restarted registry knows the listing, and recovers what its predecessor had live on each call's next message).
        _heldUntilListed = settings.Persistence is null || _routes.Memory.Listed ? null : [];
        (_toRecover, _routes.Memory.CallsToRecover) = (_routes.Memory.CallsToRecover, null);
        Receive<QueuedMessage>(OnQueued);
        Receive<IPlaybackCommand>(command => Route(command, Sender, create: true));
        Receive<RecoverCall>(recover => Route(recover, Sender, create: true));
        Receive<FindPlayback>(find => Route(find, Sender, create: false));
        Receive<FlushCall>(flush => Route(flush, Sender, create: false));
        Receive<ListCalls>(_ => Sender.Tell(new CallList(_routes.Live.Select(static call => call.Key).ToList())));
        Receive<RecoverCalls>(OnRecoverCalls);
        Receive<PlayStatusReceived>(status => Route(status, Sender, create: false));
        Receive<CallStateReceived>(state => Route(state, Sender, create: false));
        Receive<Passivate>(OnPassivate);
        Receive<PassivationCancelled>(OnPassivationCancelled);
        Receive<Terminated>(OnTerminated);
        Receive<Akka.Event.AllDeadLetters>(OnDeadLetter);
    }

    public static Props Props(PlaybackActorSettings settings) => Akka.Actor.Props.Create(() => new CallRegistry(settings));

    internal static Props Props(PlaybackActorSettings settings, Props callProps) => Akka.Actor.Props.Create(() => new CallRegistry(settings, callProps));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(Decider.From(_ => Directive.Restart));

    private void OnQueued(QueuedMessage queued)
    {
        CallRoutes.Arrived(queued);
        var message = queued.Message;
        Route(message, Sender, create: message is IPlaybackCommand);
        if (!_routes.TryGetLive(message.CallId, out _))
        {
            _routes.Forget(message.CallId, queued.Route); // a webhook for a call without an actor: no route kept for it
        }
    }

    private void Route(IWithCallId message, IActorRef sender, bool create)
    {
        if (!create && _heldUntilListed is { } waiting && message is not (FindPlayback or FlushCall) && _heldCalls.Contains(message.CallId))
        {
            waiting.Add((message, sender)); // behind the call's webhooks that wait for the listing, whose order they keep
            _handedOff = true;
            return;
        }

        if (_routes.TryGetLive(message.CallId, out var entry))
        {
            if (_passivating.TryGetValue(message.CallId, out var held))
            {
                held.Add((message, sender));
                _handedOff = true;
            }
            else
            {
                entry.Actor!.Tell(message, sender);
                _handedOff = true;
                TryOpen(entry);
            }

            return;
        }

        if (!create && _heldUntilListed is not null && message is not (FindPlayback or FlushCall))
        {
            _heldUntilListed.Add((message, sender));
            _handedOff = true;
            _heldCalls.Add(message.CallId);
            return;
        }

        if (!create && _toRecover?.Contains(message.CallId) == true)
        {
            create = true; // a call the store has live: started (and recovered) by its first message, Start forgets it
        }

        if (!create)
        {
            _handedOff = true;
            AnswerWithoutActor(message, sender);
            return;
        }

        var started = Start(message.CallId);
        started.Actor!.Tell(message, sender);
        _handedOff = true;
        TryOpen(started);
    }

    /// <summary>
    /// Opens the call's route (<see cref="CallRoutes.TryOpen"/>), but not while webhooks wait for the store's listing:
    /// one told straight could overtake an earlier one for the same call that waits here.
    /// </summary>
    private void TryOpen(CallRoute entry)
    {
        if (_heldUntilListed is null && !_draining)
        {
            CallRoutes.TryOpen(entry);
        }
    }

    private void OnRecoverCalls(RecoverCalls recover)
    {
        var held = _heldUntilListed ?? [];
        _heldUntilListed = null;
        _routes.Memory.Listed = true;
        _heldCalls.Clear();
        _draining = true; // opened at the end: one opened now would let a later webhook overtake this call's next held one
        _toRecover ??= new HashSet<string>(StringComparer.Ordinal); // what a restarted predecessor handed over, if anything
        _toRecover.UnionWith(recover.CallIds.Where(id => !_routes.TryGetLive(id, out _)));
        foreach (var (message, sender) in held)
        {
            if (recover.Failed && !_routes.TryGetLive(message.CallId, out _))
            {
                sender.Tell(WebhookResult.Rejected("the playback store is unavailable", WebhookRejection.Unavailable));
                continue;
            }

            // Routed here and now, in the order they came: sent to the back of the mailbox, they could be overtaken by
            // a later webhook for the same call told straight to the actor that a command or RecoverCall started.
            Route(message, sender, create: false);
        }

        _draining = false;
        foreach (var (callId, entry) in _routes.Live)
        {
            if (!_passivating.ContainsKey(callId))
            {
                CallRoutes.TryOpen(entry); // the calls started while the listing was awaited
            }
        }
    }

    private CallRoute Start(string callId)
    {
        _toRecover?.Remove(callId);
        var actor = Context.ActorOf(_callProps, PlaybackActor.NameFor(callId));
        Context.Watch(actor);
        var entry = _routes.For(callId);
        entry.Actor = actor;
        _settings.Counters.CallStarted();
        return entry;
    }

    private void OnPassivate(Passivate passivate)
    {
        // A second Passivate (idle, then the call ended) before the actor answered the first: its StopIfIdle is on its way.
        if (_routes.TryGetLive(passivate.CallId, out var entry) && Sender.Equals(entry.Actor) && _passivating.TryAdd(passivate.CallId, []))
        {
            if (passivate.Unreadable)
            {
                (_unreadable ??= new(StringComparer.Ordinal)).Add(passivate.CallId);
            }

            // Closed first: every message told straight is then ahead of StopIfIdle in the actor's mailbox.
            CallRoutes.Close(entry);
            entry.Actor!.Tell(StopIfIdle.Instance);
        }
    }

    private void OnPassivationCancelled(PassivationCancelled cancelled)
    {
        if (_routes.TryGetLive(cancelled.CallId, out var entry) && Sender.Equals(entry.Actor))
        {
            _passivating.Remove(cancelled.CallId, out var held);
            Flush(entry, held);
            TryOpen(entry);
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        // Call actors are named after their call; the registry watches nothing else.
        var callId = PlaybackActor.CallIdOf(terminated.ActorRef.Path.Name);
        if (!_routes.TryGetLive(callId, out var entry) || !terminated.ActorRef.Equals(entry.Actor))
        {
            return;
        }

        _settings.Counters.CallStopped();
        CallRoutes.Close(entry); // already closed by a passivation; not when the actor stopped on its own
        entry.Actor = null;
        _passivating.Remove(callId, out var held);
        var unreadable = _unreadable?.Remove(callId) == true;
        if (unreadable)
        {
            _toRecover?.Add(callId); // it may be live in the store: its next message, a webhook too, starts it again
        }

        // After a failed read, what came meanwhile goes to a successor (which reads again) rather than being answered as for an unknown call.
        if (held is { Count: > 0 } && (unreadable || held.Any(static x => x.Message is IPlaybackCommand or RecoverCall)))
        {
            var successor = Start(callId);
            Flush(successor, held);
            TryOpen(successor);
            return;
        }

        foreach (var (message, sender) in held ?? [])
        {
            AnswerWithoutActor(message, sender);
        }

        _routes.Forget(callId, entry);
    }

    /// <summary>Hands what came during a passivation to the call's actor, in the order it came.</summary>
    private static void Flush(CallRoute entry, List<(IWithCallId Message, IActorRef Sender)>? held)
    {
        foreach (var (message, sender) in held ?? [])
        {
            entry.Actor!.Tell(message, sender);
        }
    }

    /// <summary>Answers a message that does not start an actor, for a call that has none.</summary>
    private void AnswerWithoutActor(IWithCallId message, IActorRef sender)
    {
        switch (message)
        {
            case FindPlayback:
                sender.Tell(new FoundPlayback(null, false));
                break;
            case FlushCall:
                sender.Tell(StoreFlushed.Instance);
                break;
            default:
                _settings.Counters.UnknownCall();
                sender.Tell(WebhookResult.Ignored($"unknown call {message.CallId}"));
                break;
        }
    }

    private static void ReplyShutdown(IWithCallId message, IActorRef sender)
    {
        var shutdown = new PlaybackShutdownException($"Call {message.CallId}: Playback is shutting down.", message.CallId, null);
        Refusals.Refuse(
            message,
            sender,
            command => new CommandFailed(new PlaybackShutdownException($"{command.Name} for call {command.CallId} was not run: Playback is shutting down.", command.CallId, command.ControlId)),
            "Playback is shutting down",
            new Status.Failure(shutdown));
    }
}
