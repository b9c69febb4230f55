using Akka.Actor;

namespace Playback;

/// <summary>The actor's own plumbing: its behaviours, its timers and its idle check, each without Akka's per-actor cost.</summary>
internal partial class PlaybackActor
{
    private static readonly Behaviour ReadyBehaviour = static (actor, message) => actor.Ready(message);
    private static readonly Behaviour BusyBehaviour = static (actor, message) => actor.Busy(message);
    private static readonly Behaviour GoneBehaviour = static (actor, message) => actor.Gone(message);
    private static readonly Behaviour GoneFlushingBehaviour = static (actor, message) => actor.GoneFlushing(message);

    private Behaviour _behaviour;
    private Behaviour? _underneath;
    private CallTimers? _timers;
    private ICancelable? _idleTick;
    private long _idleSinceTicks;

    /// <summary>The actor's keyed timers, created on first use.</summary>
    protected CallTimers Timers => _timers ??= new CallTimers(Self, Context.System.Scheduler);

    protected override void OnReceive(object message)
    {
        if (message is CallTimers.Fired fired)
        {
            if (_timers?.IsCurrent(fired) != true)
            {
                return;
            }

            if (IsHolding)
            {
                // Waits in the stash as it came, and is checked again when it comes out.
                Stash.Stash();
                return;
            }

            _timers.Delivered(fired);
            message = fired.Message;
        }
        else if (message is IdleTick && !IsHolding)
        {
            _idleTick = null; // the check is here: scheduled again (Ready) or when the call is idle again, whatever the behaviour
        }

        _behaviour(this, message);
    }

    // The actor switches behaviour itself rather than through Context.Become: Akka wraps an UntypedReceive in a new
    // closure on every Become and, from the first one on, keeps the actor in its fuller per-actor state (two dictionaries,
    // a set and a stack: about 450 B per call actor), and a call actor switches twice per request. A behaviour is a
    // static delegate shared by all call actors (a delegate per actor and behaviour is 64 B each). Same semantics as
    // Akka's: Become replaces the top behaviour, one behaviour may be stacked over it (persistence's write and recovery).

    /// <summary>How the actor handles a message in one of its states.</summary>
    protected delegate void Behaviour(PlaybackActor actor, object message);

    /// <summary>Handles the next messages with <paramref name="behaviour"/> (in place of the current one).</summary>
    protected void Become(Behaviour behaviour) => _behaviour = behaviour;

    /// <summary>Handles the next messages with <paramref name="behaviour"/> until <see cref="UnbecomeStacked"/>.</summary>
    protected void BecomeStacked(Behaviour behaviour)
    {
        System.Diagnostics.Debug.Assert(_underneath is null, "one behaviour at most is stacked");
        _underneath = _behaviour;
        _behaviour = behaviour;
    }

    /// <summary>Back to the behaviour under the stacked one.</summary>
    protected new void UnbecomeStacked()
    {
        _behaviour = _underneath ?? ReadyBehaviour;
        _underneath = null;
    }

    /// <summary>
    /// The call is idle now, or is not: when it is, it passivates once it has been idle for the idle timeout. One check
    /// at a time is scheduled and never cancelled on the way: a command restarts the wait without touching the scheduler
    /// (a check that finds the call busy, or idle for less, lets it be, or waits for the rest).
    /// </summary>
    protected void RestartIdleTimer()
    {
        if (State.IsIdle)
        {
            _idleSinceTicks = Now.UtcTicks;
            _idleTick ??= ScheduleIdleCheck(Settings.IdleTimeout);
        }
    }

    private void IdleCheck()
    {
        if (!State.IsIdle)
        {
            return;
        }

        var left = TimeSpan.FromTicks(_idleSinceTicks - Now.UtcTicks) + Settings.IdleTimeout;
        if (left > TimeSpan.Zero)
        {
            _idleTick = ScheduleIdleCheck(left);
        }
        else
        {
            OnIdle();
        }
    }

    private ICancelable ScheduleIdleCheck(TimeSpan delay) =>
        Context.System.Scheduler.ScheduleTellOnceCancelable(delay, Self, IdleTick.Instance, ActorRefs.NoSender);
}
