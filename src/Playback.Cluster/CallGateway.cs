using Akka.Actor;

namespace Playback;

/// <summary>
/// A node's way into the shard region for its <see cref="PlaybackManager"/>. Webhooks are forwarded as they are (the
/// entity answers the asker directly). Each command gets a <see cref="CommandCourier"/> that carries it to the call's
/// entity wherever it lives and guarantees its caller one reply: the entity's, or a clear failure when the entity's node
/// is lost.
/// </summary>
internal sealed class CallGateway : UntypedActor
{
    private readonly Func<IActorRef> _region;
    private readonly TimeSpan _giveUpAfter;

    public CallGateway(Func<IActorRef> region, TimeSpan giveUpAfter)
    {
        _region = region;
        _giveUpAfter = giveUpAfter;
    }

    public static Props Props(Func<IActorRef> region, TimeSpan giveUpAfter) =>
        Akka.Actor.Props.Create(() => new CallGateway(region, giveUpAfter));

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(Decider.From(_ => Directive.Stop));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case IPlaybackCommand command:
                // The first copy leaves from here, in the order the commands came, with the courier as its sender: couriers
                // start on turns of their own, in any order, and one caller's commands for a call must reach it in order.
                var region = _region();
                var courier = Context.ActorOf(CommandCourier.Props(region, command, Sender, _giveUpAfter, sent: true));
                region.Tell(command, courier);
                break;
            case IWithCallId webhook:
                _region().Forward(webhook);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}

/// <summary>A courier's resend is due.</summary>
internal sealed class ResendNow
{
    public static readonly ResendNow Instance = new();

    private ResendNow()
    {
    }
}

/// <summary>
/// Carries one command to its call's entity and its one reply back. The entity acknowledges on arrival; the courier then
/// watches it, so that losing the entity's node fails the command (<see cref="PlaybackNodeLostException"/>) instead of
/// leaving the caller waiting. A command that was not sent because its call moved is sent once more. A command that no call
/// actor acknowledged within a second may have been lost on its way (sharding delivers at most once: a region can route to
/// a node that just crashed): it is sent again every second until one does. Copies are safe: the courier is the command's
/// sender, a call actor drops a command it already had from that sender, and only the first reply is passed on.
/// </summary>
internal sealed class CommandCourier : UntypedActor, IWithTimers
{
    /// <summary>How often a command that no call actor has acknowledged is sent again.</summary>
    internal static readonly TimeSpan ResendInterval = TimeSpan.FromSeconds(1);

    private const string ResendTimer = "resend";
    private const string GiveUpTimer = "give-up";
    private const string OrphanedTimer = "orphaned";

    /// <summary>How long a courier waits for the answer of a call actor that stopped (not with its node lost).</summary>
    internal static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(2);

    private readonly IActorRef _region;
    private readonly IPlaybackCommand _command;
    private readonly IActorRef _replyTo;
    private readonly TimeSpan _giveUpAfter;
    private readonly bool _sent;
    private IActorRef? _entity;
    private bool _movedOnce;
    private bool _replied;

    public CommandCourier(IActorRef region, IPlaybackCommand command, IActorRef replyTo, TimeSpan giveUpAfter, bool sent)
    {
        _region = region;
        _command = command;
        _replyTo = replyTo;
        _giveUpAfter = giveUpAfter;
        _sent = sent;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A courier for <paramref name="command"/>; <paramref name="sent"/> when its first copy has already gone to the region, with the courier as its sender.</summary>
    public static Props Props(IActorRef region, IPlaybackCommand command, IActorRef replyTo, TimeSpan giveUpAfter, bool sent = false) =>
        Akka.Actor.Props.Create(() => new CommandCourier(region, command, replyTo, giveUpAfter, sent));

    protected override void PreStart()
    {
        Timers.StartSingleTimer(GiveUpTimer, GiveUp.Instance, _giveUpAfter);
        if (_sent)
        {
            Timers.StartPeriodicTimer(ResendTimer, ResendNow.Instance, ResendInterval);
        }
        else
        {
            Send();
        }
    }

    protected override void PostStop()
    {
        if (!_replied)
        {
            _replyTo.Tell(new CommandFailed(new PlaybackShutdownException($"{_command.Name} for call {_command.CallId} got no outcome: Playback is shutting down.", _command.CallId, _command.ControlId) { MayHaveBeenApplied = true }));
        }
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case CommandReceived:
                Timers.Cancel(ResendTimer);
                Timers.Cancel(OrphanedTimer);
                if (_entity is not null && !_entity.Equals(Sender))
                {
                    Context.Unwatch(_entity);
                }

                _entity = Sender;
                Context.Watch(_entity);
                break;
            case CommandFailed { Error: PlaybackMovedException } when !_movedOnce:
                // Not sent by the call's old actor: send it to the call's new home, once.
                _movedOnce = true;
                Timers.Cancel(OrphanedTimer);
                Forget();
                Send();
                break;
            case CommandReply reply:
                Reply(reply);
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_entity):
                if (terminated.AddressTerminated)
                {
                    Lost(terminated.ActorRef.Path.Address, "that node was lost before it answered");
                }
                else
                {
                    // A call actor always answers before it stops, but the answer may come after this notice (a node
                    // shutting down without leaving also sends it, and may lose the answer): wait a moment for it.
                    Timers.StartSingleTimer(OrphanedTimer, Orphaned.Instance, AnswerGrace);
                }

                break;
            case Orphaned when _entity is not null:
                Lost(_entity.Path.Address, "it stopped without an answer reaching this node (its node shut down)");
                break;
            case ResendNow when _entity is null:
                _region.Tell(_command);
                break;
            case GiveUp:
                // The caller's ask has timed out by now; nothing waits for an answer.
                _replied = true;
                Context.Stop(Self);
                break;
        }
    }

    /// <summary>Sends the command, and again every <see cref="ResendInterval"/> until a call actor acknowledges it.</summary>
    private void Send()
    {
        _region.Tell(_command);
        Timers.StartPeriodicTimer(ResendTimer, ResendNow.Instance, ResendInterval);
    }

    private void Lost(Address address, string what) =>
        Reply(new CommandFailed(new PlaybackNodeLostException(
            $"{_command.Name} for call {_command.CallId} reached the call's actor on {address}, and {what}; whether the Calling API got the command is unknown.",
            _command.CallId,
            _command.ControlId)));

    private void Forget()
    {
        if (_entity is not null)
        {
            Context.Unwatch(_entity);
            _entity = null;
        }
    }

    private void Reply(CommandReply reply)
    {
        _replyTo.Tell(reply);
        _replied = true;
        Context.Stop(Self);
    }

    private sealed class Orphaned
    {
        public static readonly Orphaned Instance = new();

        private Orphaned()
        {
        }
    }

    private sealed class GiveUp
    {
        public static readonly GiveUp Instance = new();

        private GiveUp()
        {
        }
    }
}
