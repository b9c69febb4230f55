using Akka.Actor;

namespace Playback;

/// <summary>
/// Routes per-call messages by call id. Commands create the call's <see cref="PlaybackActor"/> on demand; webhooks
/// reach existing actors only (a webhook for an unknown call is counted and answered Ignored, never creating an actor).
/// Passivation is a handshake, so that no message is lost while a call actor stops: messages for a stopping actor are
/// buffered and handed to its successor. While a call's actor runs, the facade tells it most messages straight
/// (<see cref="CallRoutes"/>): the registry opens and closes that route.
/// </summary>
internal sealed class CallRegistry : ReceiveActor
{
    private readonly PlaybackActorSettings _settings;
    private readonly Props _callProps;
    private readonly CallRoutes _routes;

    /// <summary>The calls whose actor passivates, with what came for them meanwhile (handed to the actor or its successor).</summary>
    private readonly Dictionary<string, List<(IWithCallId Message, IActorRef Sender)>> _passivating = new(StringComparer.Ordinal);
    private HashSet<string>? _toRecover;
    private List<(IWithCallId Message, IActorRef Sender)>? _heldUntilListed;

    public CallRegistry(PlaybackActorSettings settings)
    {
        _settings = settings;
        _callProps = PlaybackActor.Props(settings);
        _routes = settings.Routes ?? new CallRoutes();
        // With a store, webhooks for calls this registry does not know wait until the store's live calls are listed.
        _heldUntilListed = settings.Persistence is null ? null : [];
        Receive<QueuedMessage>(OnQueued);
        Receive<IPlaybackCommand>(command => Route(command, create: true));
        Receive<RecoverCall>(recover => Route(recover, create: true));
        Receive<FindPlayback>(find => Route(find, create: false));
        Receive<FlushCall>(flush => Route(flush, create: false));
        Receive<ListCalls>(_ => Sender.Tell(new CallList(_routes.Live.Select(static call => call.Key).ToList())));
        Receive<RecoverCalls>(OnRecoverCalls);
        Receive<PlayStatusReceived>(status => Route(status, create: false));
        Receive<CallStateReceived>(state => Route(state, create: false));
        Receive<Passivate>(OnPassivate);
        Receive<PassivationCancelled>(OnPassivationCancelled);
        Receive<Terminated>(OnTerminated);
    }

    public static Props Props(PlaybackActorSettings settings) => Akka.Actor.Props.Create(() => new CallRegistry(settings));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(Decider.From(_ => Directive.Restart));

    protected override void PostStop()
    {
        foreach (var (message, sender) in _heldUntilListed ?? [])
        {
            ReplyShutdown(message, sender);
        }

        foreach (var (message, sender) in _passivating.Values.SelectMany(static held => held))
        {
            ReplyShutdown(message, sender);
        }

        // Also on a restart: the children are gone, so senders go through the registry again until it opens new routes.
        _routes.Clear();
    }

    private void OnQueued(QueuedMessage queued)
    {
        CallRoutes.Arrived(queued);
        var message = queued.Message;
        Route(message, create: message is IPlaybackCommand);
        if (!_routes.TryGetLive(message.CallId, out _))
        {
            _routes.Forget(message.CallId, queued.Route); // a webhook for a call without an actor: no route kept for it
        }
    }

    private void Route(IWithCallId message, bool create)
    {
        if (_routes.TryGetLive(message.CallId, out var entry))
        {
            if (_passivating.TryGetValue(message.CallId, out var held))
            {
                held.Add((message, Sender));
            }
            else
            {
                entry.Actor!.Forward(message);
                CallRoutes.TryOpen(entry);
            }

            return;
        }

        if (!create && _heldUntilListed is not null && message is not (FindPlayback or FlushCall))
        {
            _heldUntilListed.Add((message, Sender));
            return;
        }

        if (!create && _toRecover?.Contains(message.CallId) == true)
        {
            create = true; // a call the store has live: started (and recovered) by its first message, Start forgets it
        }

        if (!create && message is FindPlayback or FlushCall)
        {
            Sender.Tell(message is FlushCall ? StoreFlushed.Instance : new FoundPlayback(null, false));
            return;
        }

        if (!create)
        {
            _settings.Counters.UnknownCall();
            Sender.Tell(WebhookResult.Ignored($"unknown call {message.CallId}"));
            return;
        }

        var started = Start(message.CallId);
        started.Actor!.Forward(message);
        CallRoutes.TryOpen(started);
    }

    private void OnRecoverCalls(RecoverCalls recover)
    {
        var held = _heldUntilListed ?? [];
        _heldUntilListed = null;
        _toRecover = new HashSet<string>(recover.CallIds.Where(id => !_routes.TryGetLive(id, out _)), StringComparer.Ordinal);
        foreach (var (message, sender) in held)
        {
            if (recover.Failed && !_routes.TryGetLive(message.CallId, out _))
            {
                sender.Tell(WebhookResult.Rejected("the playback store is unavailable", WebhookRejection.Unavailable));
                continue;
            }

            Self.Tell(message, sender);
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
        if (_routes.TryGetLive(passivate.CallId, out var entry) && Sender.Equals(entry.Actor))
        {
            _passivating[passivate.CallId] = [];
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
            CallRoutes.TryOpen(entry);
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
        if (held is not null && held.Any(x => x.Message is IPlaybackCommand))
        {
            var successor = Start(callId);
            Flush(successor, held);
            CallRoutes.TryOpen(successor);
            return;
        }

        foreach (var (message, sender) in held ?? [])
        {
            _settings.Counters.UnknownCall();
            sender.Tell(WebhookResult.Ignored($"unknown call {message.CallId}"));
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

    private static void ReplyShutdown(IWithCallId message, IActorRef sender)
    {
        if (message is IPlaybackCommand command)
        {
            sender.Tell(new CommandFailed(new PlaybackShutdownException($"{command.Name} for call {command.CallId} was not run: Playback is shutting down.", command.CallId, command.ControlId)));
        }
        else
        {
            sender.Tell(WebhookResult.Rejected("Playback is shutting down", WebhookRejection.Unavailable));
        }
    }
}
