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
    private const string ActorStopped = "the call's actor stopped before the message reached it";

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(AllDeadLetters));

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

        foreach (var _ in live)
        {
            _settings.Counters.CallStopped(); // stopped with the registry: their Terminated does not reach it
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

        Refusals.Refuse(
            message,
            letter.Sender,
            CommandErrors.NotRun,
            ActorStopped,
            new Status.Failure(new PlaybackShutdownException($"Call {message.CallId}: {ActorStopped}.", message.CallId, null)));
    }
}
