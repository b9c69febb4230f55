using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>
/// A registry that stops (the manager is disposed), or restarts (a bug: it runs no code of the user's): what it held is answered, and what its
/// restart must not lose is handed to the next incarnation (<see cref="RegistryMemory"/>).
/// <para>
/// Its answer to messages its call actors never handled. A call actor that stops with messages still in its
/// mailbox (it only does when the registry itself fails and restarts: the passivation handshake leaves nothing behind a
/// <see cref="StopIfIdle"/>) sends them to dead letters, where their senders would wait for <c>AskTimeout</c>. The registry
/// listens to the dead letters of its own children and answers each by its kind: a command was not run (nothing was
/// sent), a lookup fails. A webhook is routed again, as if it came now: to the call's new actor when it has one (with a
/// store, the calls its predecessor had live are recovered by their next message), else answered as for an unknown call;
/// a 503 would reach SignalWire only for an awaited webhook, not for one the endpoint already answered. The subscription
/// outlives a restart (the address stays) and ends when the registry stops.
/// </para>
/// </summary>
internal sealed partial class CallRegistry
{
    private (object? Message, IActorRef? Sender) _received; // the message being handled, for PreRestart
    private bool _handedOff; // it went to an actor, into a buffer, or was answered: its reply is on its way

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(AllDeadLetters));

    protected override bool AroundReceive(Receive receive, object message)
    {
        (_received, _handedOff) = ((message, Sender), false);
        return base.AroundReceive(receive, message);
    }

    /// <summary>
    /// The message whose handling made the registry throw is dropped by Akka's restart: unless it was already handed on (to
    /// an actor, into a buffer, or answered), its sender hears now that it was not run, not after <c>AskTimeout</c>.
    /// </summary>
    protected override void PreRestart(Exception reason, object message)
    {
        if (!_handedOff && ReferenceEquals(_received.Message, message) && _received.Sender is { } sender
            && (message is QueuedMessage { Message: var queued } ? queued : message as IWithCallId) is { } failed)
        {
            RefuseNotRun(failed, sender, "Playback's call registry failed while routing it, and restarted");
        }

        base.PreRestart(reason, message);
    }

    // Akka's PostRestart runs PreStart (subscribing again is a no-op). PostStop, which a restart also runs, does not
    // unsubscribe: the children stop (and their mailboxes empty into dead letters) after it, while the registry restarts.

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

        // Also on a restart: the children are gone, so senders go through the registry again until it opens new routes. With
        // a store, what they had is there: each of their calls is recovered by its next message, as the listed ones are.
        var live = _routes.Live.Select(static call => call.Key).ToList();
        if (_settings.Persistence is not null)
        {
            var recover = _toRecover ?? new HashSet<string>(StringComparer.Ordinal);
            recover.UnionWith(live); // also before the listing came: a call started meanwhile is not in it
            _routes.Memory.CallsToRecover = recover;
        }

        if (live.Count > 0)
        {
            _settings.Counters.CallStopped(live.Count); // stopped with the registry: their Terminated does not reach it
        }

        _routes.Clear();
    }

    private void OnDeadLetter(AllDeadLetters letter)
    {
        // Not an UnhandledMessage (also one of AllDeadLetters): that one was handled, by being refused.
        if (letter is UnhandledMessage || letter.Message is not IWithCallId message || letter.Recipient.Path.Parent != Self.Path)
        {
            return;
        }

        if (message is PlayStatusReceived or CallStateReceived)
        {
            Route(message, letter.Sender, create: false);
            return;
        }

        RefuseNotRun(message, letter.Sender, "the call's actor stopped before it reached it");
    }

    /// <summary>Answers a message that was not run, for the reason <paramref name="why"/>: a command (nothing was sent), a webhook (a 503), a lookup (a failure).</summary>
    private static void RefuseNotRun(IWithCallId message, IActorRef sender, string why) =>
        Refusals.Refuse(
            message,
            sender,
            command => CommandErrors.NotRun(command, why),
            why,
            new Status.Failure(new PlaybackShutdownException($"Call {message.CallId}: not run: {why}.", message.CallId, null)));
}
