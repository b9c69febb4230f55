using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>Recovery from the store: a call's actor starts from what the store holds, or, when it cannot be read, answers and stops.</summary>
internal partial class PlaybackActor
{
    private void Recovering(object message)
    {
        switch (message)
        {
            case CallRecovered recovered:
                _recovering = false;
                UnbecomeStacked();
                Restore(recovered.State);
                Stash.UnstashAll();
                break;
            case StoreFailed failed:
                RecoveryLost(failed.Cause);
                break;
            case Terminated t when t.ActorRef.Equals(_recorder):
                _recorder = null;
                RecoveryLost(new InvalidOperationException("the call's journal stopped"));
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    /// <summary>
    /// The store could not be read: what waits is answered (commands fail, webhooks get a 503 to be sent again) and the
    /// actor stops (<see cref="OnRecoveryLost"/>); the next message starts it again.
    /// </summary>
    private void RecoveryLost(Exception cause)
    {
        LogStoreFailure(cause);
        AnswerStashed(command => Unread(command, cause), Unreadable, Unread(cause));
        OnRecoveryLost(cause);
    }

    /// <summary>
    /// Stops after a failed read of the store. Through the passivation handshake, not at once: the facade may be telling
    /// this actor messages straight, and the registry closes that way before it lets the actor stop; until then every
    /// message is answered as the stashed ones were. A sharding entity (Playback.Cluster) stops at once.
    /// </summary>
    protected virtual void OnRecoveryLost(Exception cause)
    {
        _recovering = false; // nothing waits for the store any more: timer messages go to Lost, which drops them
        Become((actor, message) => actor.Lost(message, cause));
        Context.Parent.Tell(new Passivate(CallId, Unreadable: true));
    }

    private const string Unreadable = "the playback store is unavailable";

    /// <summary>The answer to a lookup (<see cref="FindPlayback"/>, <see cref="RecoverCall"/>, <see cref="FlushCall"/>) after a failed read.</summary>
    private Status.Failure Unread(Exception cause) =>
        new(new PlaybackStoreException($"Call {CallId} could not be read from the playback store ({cause.Message}).", cause, CallId));

    private CommandFailed Unread(IPlaybackCommand command, Exception cause) =>
        new(new PlaybackStoreException($"{command.Name} was not sent: call {CallId} could not be read from the playback store ({cause.Message}).", cause, CallId, command.ControlId));

    /// <summary>After a failed read, until the registry lets the actor stop. Anything else (timers, the recorder's end) is dropped.</summary>
    private void Lost(object message, Exception cause)
    {
        if (message is StopIfIdle)
        {
            Context.Stop(Self);
            return;
        }

        Refusals.Refuse(message, Sender, command => Unread(command, cause), Unreadable, Unread(cause));
    }

    /// <summary>Continues from the store's state: publishes each live playback once, re-arms its timers, and sends again the request that was on the wire (its outcome is unknown; any refusal then counts as "may have been applied", see truth under failure).</summary>
    private void Restore(CallPlaybacks stored)
    {
        if (stored.Playbacks.IsEmpty && stored.InFlight is null)
        {
            return;
        }

        _storeHasEvents = true;
        State = stored;
        var now = Now;
        foreach (var entry in State.Current)
        {
            Publish(new PlaybackEvent(CallId, entry.ControlId, entry.State, null, entry.Volume, entry.Reason, now, PlaybackChange.State));
        }

        ArmTimers();
        if (State.InFlight is { } flight)
        {
            _resent = true;
            Become(BusyBehaviour);
            Resend(flight.Request);
        }

        RestartIdleTimer();
    }
}
