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
    private readonly Dictionary<string, CallRoute> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _byActor = new();
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
        Receive<ListCalls>(_ => Sender.Tell(new CallList(_calls.Keys.ToList())));
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

        foreach (var entry in _calls.Values)
        {
            if (!entry.HasBuffer)
            {
                continue;
            }

            foreach (var (message, sender) in entry.Buffer)
            {
                ReplyShutdown(message, sender);
            }
        }

        // Also on a restart: the children are gone, so senders go through the registry again until it opens new routes.
        _routes.Clear();
    }

    private void OnQueued(QueuedMessage queued)
    {
        CallRoutes.Arrived(queued);
        var message = queued.Message;
        Route(message, create: message is IPlaybackCommand);
        if (!_calls.ContainsKey(message.CallId))
        {
            _routes.Forget(message.CallId, queued.Route); // a webhook for a call without an actor: no route kept for it
        }
    }

    private void Route(IWithCallId message, bool create)
    {
        if (_calls.TryGetValue(message.CallId, out var entry))
        {
            if (entry.Passivating)
            {
                entry.Buffer.Add((message, Sender));
            }
            else
            {
                entry.Actor!.Forward(message);
                TryOpen(entry);
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

        var started = Start(message.CallId, null);
        started.Actor!.Forward(message);
        TryOpen(started);
    }

    /// <summary>Lets senders tell the actor straight, once nothing for it waits here.</summary>
    private static void TryOpen(CallRoute entry)
    {
        if (!entry.Passivating && !entry.HasBuffer)
        {
            CallRoutes.TryOpen(entry, entry.Actor!);
        }
    }

    private void OnRecoverCalls(RecoverCalls recover)
    {
        var held = _heldUntilListed ?? [];
        _heldUntilListed = null;
        _toRecover = new HashSet<string>(recover.CallIds.Where(id => !_calls.ContainsKey(id)), StringComparer.Ordinal);
        foreach (var (message, sender) in held)
        {
            if (recover.Failed && !_calls.ContainsKey(message.CallId))
            {
                sender.Tell(WebhookResult.Rejected("the playback store is unavailable", WebhookRejection.Unavailable));
                continue;
            }

            Self.Tell(message, sender);
        }
    }

    /// <summary>Starts the call's actor; <paramref name="predecessor"/>'s buffered messages go to it (flushed by the caller).</summary>
    private CallRoute Start(string callId, CallRoute? predecessor)
    {
        _toRecover?.Remove(callId);
        var actor = Context.ActorOf(_callProps, PlaybackActor.NameFor(callId));
        Context.Watch(actor);
        var entry = _routes.For(callId);
        entry.Actor = actor;
        entry.Passivating = false;
        if (predecessor is not null && !ReferenceEquals(predecessor, entry) && predecessor.HasBuffer)
        {
            entry.Buffer.AddRange(predecessor.Buffer);
            predecessor.Buffer.Clear();
        }

        _calls[callId] = entry;
        _byActor[actor] = callId;
        _settings.Counters.CallStarted();
        return entry;
    }

    private void OnPassivate(Passivate passivate)
    {
        if (_calls.TryGetValue(passivate.CallId, out var entry) && Sender.Equals(entry.Actor))
        {
            entry.Passivating = true;
            // Closed first: every message told straight is then ahead of StopIfIdle in the actor's mailbox.
            CallRoutes.Close(entry);
            entry.Actor!.Tell(StopIfIdle.Instance);
        }
    }

    private void OnPassivationCancelled(PassivationCancelled cancelled)
    {
        if (_calls.TryGetValue(cancelled.CallId, out var entry) && Sender.Equals(entry.Actor))
        {
            entry.Passivating = false;
            Flush(entry);
            TryOpen(entry);
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        if (!_byActor.Remove(terminated.ActorRef, out var callId) || !_calls.Remove(callId, out var entry))
        {
            return;
        }

        _settings.Counters.CallStopped();
        CallRoutes.Close(entry); // already closed by a passivation; not when the actor stopped on its own
        entry.Actor = null;
        if (entry.HasBuffer && entry.Buffer.Any(x => x.Message is IPlaybackCommand))
        {
            var successor = Start(callId, entry);
            Flush(successor);
            TryOpen(successor);
            return;
        }

        if (entry.HasBuffer)
        {
            foreach (var (message, sender) in entry.Buffer)
            {
                _settings.Counters.UnknownCall();
                sender.Tell(WebhookResult.Ignored($"unknown call {message.CallId}"));
            }

            entry.Buffer.Clear();
        }

        _routes.Forget(callId, entry);
    }

    private static void Flush(CallRoute entry)
    {
        if (!entry.HasBuffer)
        {
            return;
        }

        foreach (var (message, sender) in entry.Buffer)
        {
            entry.Actor!.Tell(message, sender);
        }

        entry.Buffer.Clear();
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
