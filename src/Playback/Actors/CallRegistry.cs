using Akka.Actor;

namespace Playback;

/// <summary>
/// Routes per-call messages by call id. Commands create the call's <see cref="PlaybackActor"/> on demand; webhooks
/// reach existing actors only (a webhook for an unknown call is counted and answered Ignored, never creating an actor).
/// Passivation is a handshake, so that no message is lost while a call actor stops: messages for a stopping actor are
/// buffered and handed to its successor.
/// </summary>
internal sealed class CallRegistry : ReceiveActor
{
    private readonly PlaybackActorSettings _settings;
    private readonly Props _callProps;
    private readonly Dictionary<string, CallEntry> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _byActor = new();
    private HashSet<string>? _toRecover;
    private List<(IWithCallId Message, IActorRef Sender)>? _heldUntilListed;

    public CallRegistry(PlaybackActorSettings settings)
    {
        _settings = settings;
        _callProps = PlaybackActor.Props(settings);
        // With a store, webhooks for calls this registry does not know wait until the store's live calls are listed.
        _heldUntilListed = settings.Persistence is null ? null : [];
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
                entry.Actor.Forward(message);
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

        Start(message.CallId).Actor.Forward(message);
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

    private CallEntry Start(string callId)
    {
        _toRecover?.Remove(callId);
        var actor = Context.ActorOf(_callProps, PlaybackActor.NameFor(callId));
        Context.Watch(actor);
        var entry = new CallEntry(actor);
        _calls[callId] = entry;
        _byActor[actor] = callId;
        _settings.Counters.CallStarted();
        return entry;
    }

    private void OnPassivate(Passivate passivate)
    {
        if (_calls.TryGetValue(passivate.CallId, out var entry) && entry.Actor.Equals(Sender))
        {
            entry.Passivating = true;
            entry.Actor.Tell(StopIfIdle.Instance);
        }
    }

    private void OnPassivationCancelled(PassivationCancelled cancelled)
    {
        if (_calls.TryGetValue(cancelled.CallId, out var entry) && entry.Actor.Equals(Sender))
        {
            entry.Passivating = false;
            Flush(entry);
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        if (!_byActor.Remove(terminated.ActorRef, out var callId) || !_calls.Remove(callId, out var entry))
        {
            return;
        }

        _settings.Counters.CallStopped();
        if (entry.HasBuffer && entry.Buffer.Any(x => x.Message is IPlaybackCommand))
        {
            var successor = Start(callId);
            successor.Buffer.AddRange(entry.Buffer);
            Flush(successor);
            return;
        }

        if (!entry.HasBuffer)
        {
            return;
        }

        foreach (var (message, sender) in entry.Buffer)
        {
            _settings.Counters.UnknownCall();
            sender.Tell(WebhookResult.Ignored($"unknown call {message.CallId}"));
        }
    }

    private static void Flush(CallEntry entry)
    {
        if (!entry.HasBuffer)
        {
            return;
        }

        foreach (var (message, sender) in entry.Buffer)
        {
            entry.Actor.Tell(message, sender);
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

    private sealed class CallEntry(IActorRef actor)
    {
        public IActorRef Actor { get; } = actor;

        public bool Passivating { get; set; }

        /// <summary>Messages held while the actor passivates; created on first use.</summary>
        public List<(IWithCallId Message, IActorRef Sender)> Buffer => _buffer ??= [];

        public bool HasBuffer => _buffer is { Count: > 0 };

        private List<(IWithCallId Message, IActorRef Sender)>? _buffer;
    }
}
