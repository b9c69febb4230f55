using System.Collections.Immutable;
using Akka.Actor;

namespace Playback;

/// <summary>
/// The call actor as a cluster-sharding entity: the core <see cref="PlaybackActor"/> plus what only an entity does:
/// every command is acknowledged on arrival and resent copies are dropped, a call that had a predecessor on another
/// node is restored (from its handoff, or from the events this node saw), an idle call passivates through its shard,
/// and a call whose node leaves hands its state to its successor.
/// </summary>
internal sealed class ClusterCallActor : PlaybackActor
{
    private const string RestoreTimerKey = "restore";

    private static readonly Behaviour RestoringBehaviour = static (actor, message) => ((ClusterCallActor)actor).Restoring(message);
    private static readonly Behaviour PassivatingBehaviour = static (actor, message) => ((ClusterCallActor)actor).Passivating(message);

    private readonly ClusterEntityHooks _cluster;
    private ImmutableArray<PlaybackSnapshot> _seedLost;
    private bool _handingOff;
    private (IActorRef Sender, string Name, string ControlId)?[]? _recentCommands;
    private int _recentNext;

    public ClusterCallActor(string callId, PlaybackActorSettings settings, ClusterEntityHooks cluster)
        : base(callId, settings)
    {
        _cluster = cluster;
    }

    public static Props Props(string callId, PlaybackActorSettings settings, ClusterEntityHooks cluster) =>
        Akka.Actor.Props.Create(typeof(ClusterCallActor), callId, settings, cluster).WithMailbox(MailboxId);

    protected override void PreStart()
    {
        // With a store, every node reads the call from it (the base recovers it): nothing is rebuilt from events, and
        // a crashed node's queued playbacks survive.
        if (Settings.Persistence is null && _cluster.Seed(CallId) is { Count: > 0 } seen)
        {
            // The events say this call had playbacks on another node: hold everything until its handoff arrives (or,
            // when that node was lost, for the restore timeout) and start from what the events tell meanwhile. When
            // that node is known to have crashed (downed), no handoff can come: the wait ends at once.
            State = CallRestore.FromEvents(CallId, seen, out _seedLost);
            Become(RestoringBehaviour);
            var crashed = _cluster.PredecessorCrashed?.Invoke(CallId) == true;
            Timers.StartSingleTimer(RestoreTimerKey, RestoreTimedOut.Instance, crashed ? TimeSpan.Zero : _cluster.RestoreTimeout);
            return;
        }

        base.PreStart();
    }

    /// <summary>Every command is acknowledged on arrival so that its sender can watch this actor's node.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        // While a change is written (persistence) the command waits in the stash; it is acknowledged when it comes out.
        if (message is IPlaybackCommand command && !IsHolding)
        {
            Sender.Tell(CommandReceived.Instance);
            if (SeenBefore(Sender, command))
            {
                // A copy its courier sent again (it could not tell whether the first arrived): the first gets the reply.
                return true;
            }
        }

        return base.AroundReceive(receive, message);
    }

    protected override void Publish(PlaybackEvent e) => _cluster.Publish(e);

    protected override void OnIdle()
    {
        Context.Parent.Tell(_cluster.PassivateRequest);
        Become(PassivatingBehaviour);
    }

    protected override void OnCallEnded()
    {
        if (_handingOff)
        {
            Context.Stop(Self);
        }
        else
        {
            Context.Parent.Tell(_cluster.PassivateRequest);
        }
    }

    /// <summary>As before the registry's handshake for it: the shard starts the entity again on its next message.</summary>
    protected override void OnRecoveryLost(Exception cause) => Context.Stop(Self);

    protected override bool OnRequestDone()
    {
        if (_handingOff)
        {
            HandOff();
        }

        return _handingOff;
    }

    protected override CommandReply Unsent(IPlaybackCommand command) => CommandErrors.Moved(command, CallId);

    protected override bool ReceiveReady(object message)
    {
        switch (message)
        {
            case HandOffCall:
                HandOff();
                return true;
            case CallHandoff handoff:
                State = State.Merge(handoff);
                ArmTimers();
                RestartIdleTimer();
                return true;
            default:
                return false;
        }
    }

    protected override bool ReceiveBusy(object message)
    {
        switch (message)
        {
            case HandOffCall:
                // Finish the request first (its caller gets its real outcome), then hand off.
                _handingOff = true;
                return true;
            case CallHandoff handoff:
                State = State.Merge(handoff);
                return true;
            default:
                return false;
        }
    }

    protected override bool ReceiveGone(object message)
    {
        switch (message)
        {
            case HandOffCall:
                Context.Stop(Self);
                return true;
            case CallHandoff:
                return true;
            default:
                return false;
        }
    }

    /// <summary>After the events showed a predecessor on another node: everything waits for its handoff (or the restore timeout), in arrival order.</summary>
    private void Restoring(object message)
    {
        switch (message)
        {
            case CallHandoff handoff:
                State = CallRestore.FromHandoff(handoff);
                _seedLost = ImmutableArray<PlaybackSnapshot>.Empty;
                FinishRestore();
                break;
            case RestoreTimedOut:
                FinishRestore();
                break;
            case HandOffCall:
                // Moved again before the handoff came: it is still on its way (through the region) to the next home.
                Waiting.Release(command => CommandErrors.Moved(command, CallId), _cluster.Region());
                Context.Stop(Self);
                break;
            case IdleTick or StopIfIdle:
                break;
            default:
                Waiting.Hold(message, Sender);
                break;
        }
    }

    /// <summary>
    /// After asking the shard to passivate this idle actor: the shard buffers what comes next; what arrived before waits
    /// here and goes back through the region when the actor stops, to reach its successor.
    /// </summary>
    private void Passivating(object message)
    {
        switch (message)
        {
            case StopIfIdle:
                Waiting.ForwardAll(_cluster.Region());
                Context.Stop(Self);
                break;
            case HandOffCall:
                Waiting.Release(command => CommandErrors.Moved(command, CallId), _cluster.Region());
                Context.Stop(Self);
                break;
            case IdleTick or StatusTimedOut or RequestCompleted or RestoreTimedOut:
                break;
            default:
                Waiting.Hold(message, Sender);
                break;
        }
    }

    private void FinishRestore()
    {
        Timers.Cancel(RestoreTimerKey);
        var now = Now;
        foreach (var lost in _seedLost)
        {
            Publish(new PlaybackEvent(CallId, lost.ControlId, PlaybackState.Failed, lost.State, lost.Volume, "its node left the cluster before it started; its media was lost", now, PlaybackChange.State));
        }

        _seedLost = ImmutableArray<PlaybackSnapshot>.Empty;
        ArmTimers();
        BecomeReady();
        if (State.InFlight is null && State.GoneReason is null)
        {
            RestartIdleTimer();
        }
    }

    /// <summary>The node is leaving and no request is in flight: waiting commands fail as moved (the caller's manager sends them again), the rest and the state go to the successor.</summary>
    private void HandOff()
    {
        Waiting.Release(command => CommandErrors.Moved(command, CallId), _cluster.Region());
        var handoff = State.ToHandoff();
        if (!handoff.Playbacks.IsEmpty && _cluster.HasSuccessor())
        {
            _cluster.Region().Tell(handoff);
        }

        Context.Stop(Self);
    }

    /// <summary>
    /// Whether this command arrived before from this sender. Each command has its own sender (its courier), so the same
    /// command from the same sender is a resent copy. Remembers the last 32; allocated on first use.
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
}
