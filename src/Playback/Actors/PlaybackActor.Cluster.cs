using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>What a call actor does only as a cluster-sharding entity: dedupe of resent commands, restore, passivation and handoff.</summary>
internal sealed partial class PlaybackActor
{
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
        Published(e);
        if (_cluster is null)
        {
            _settings.Hub.Publish(e);
        }
        else
        {
            _cluster.Publish(e);
        }
    }
}
