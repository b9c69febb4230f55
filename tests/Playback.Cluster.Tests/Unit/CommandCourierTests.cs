using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Playback.Cluster.Tests.Unit;

/// <summary>The courier on Akka's TestScheduler: its resend, grace and give-up timers fire only when a test advances the clock.</summary>
public sealed class CommandCourierTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(
    """
    akka.loglevel = WARNING
    akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
    """, output: output)
{
    /// <summary>How long a negative check waits in real time once virtual time has passed the moment that mattered.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    private static readonly PausePlay Command = new("call-1", "ctl-1");

    private static CommandSucceeded Ok(PlaybackState state = PlaybackState.Paused) =>
        new(new PlaybackSnapshot("call-1", "ctl-1", state, 0, null));

    private static CommandFailed Moved() => new(new PlaybackMovedException("moved", "call-1", "ctl-1"));

    private (IActorRef Courier, TestProbe Region, TestProbe ReplyTo) Start(TimeSpan? giveUpAfter = null)
    {
        var region = CreateTestProbe("region");
        var replyTo = CreateTestProbe("caller");
        var courier = Sys.ActorOf(CommandCourier.Props(region.Ref, Command, replyTo.Ref, giveUpAfter ?? TimeSpan.FromHours(1)));
        Watch(courier);
        return (courier, region, replyTo);
    }

    [Fact]
    public void One_caller_s_commands_reach_the_region_in_the_order_they_reached_the_gateway()
    {
        // Each command gets a courier of its own, and couriers start on turns of their own, in any order (the thread
        // pool runs a thread's own work last-in first-out): the first copies must not leave from their starts.
        var region = CreateTestProbe("region");
        var gateway = Sys.ActorOf(CallGateway.Props(() => region.Ref, TimeSpan.FromHours(1)));
        var commands = Enumerable.Range(0, 100).Select(i => new PausePlay("call-1", "ctl-" + i)).ToList();

        commands.ForEach(c => gateway.Tell(c, TestActor));

        Assert.Equal(commands, commands.Select(_ => region.ExpectMsg<PausePlay>()).ToList());
    }

    /// <summary>A started courier whose command has reached the region.</summary>
    private async Task<(IActorRef Courier, TestProbe Region, TestProbe ReplyTo)> StartSentAsync(TimeSpan? giveUpAfter = null)
    {
        var started = Start(giveUpAfter);
        await started.Region.ExpectMsgAsync<PausePlay>();
        await HandledAsync(started.Courier);
        return started;
    }

    /// <summary>Returns once the courier has handled everything sent to it before (its timers are armed): Identify queues behind them.</summary>
    private static Task HandledAsync(IActorRef courier) => courier.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10));

    private void Advance(TimeSpan by) => ((TestScheduler)Sys.Scheduler).Advance(by);

    /// <summary>A success answer from the region goes to the caller and ends the courier.</summary>
    private async Task AnswerOkAsync(IActorRef courier, TestProbe region, TestProbe replyTo)
    {
        courier.Tell(Ok(), region.Ref);
        await replyTo.ExpectMsgAsync<CommandSucceeded>();
        await ExpectTerminatedAsync(courier);
    }

    /// <summary>A call actor acknowledges the command and then stops without an answer; returns once the courier has handled its Terminated.</summary>
    private async Task AcknowledgeFromAnEntityThatStopsAsync(IActorRef courier)
    {
        var entity = CreateTestProbe("entity");
        courier.Tell(CommandReceived.Instance, entity.Ref);
        await HandledAsync(courier);
        Watch(entity.Ref);
        Sys.Stop(entity.Ref);
        await ExpectTerminatedAsync(entity.Ref);

        // The courier was told too; system messages come before the Identify queued behind it.
        await HandledAsync(courier);
    }

    [Fact]
    public async Task The_command_goes_to_the_region_and_the_first_reply_to_the_caller()
    {
        var (courier, region, replyTo) = Start();

        Assert.Same(Command, await region.ExpectMsgAsync<PausePlay>());
        region.Reply(CommandReceived.Instance);
        courier.Tell(Ok(PlaybackState.Paused), region.Ref);
        courier.Tell(Ok(PlaybackState.Playing), region.Ref);

        Assert.Equal(PlaybackState.Paused, (await replyTo.ExpectMsgAsync<CommandSucceeded>()).Playback.State);
        await ExpectTerminatedAsync(courier);
        Assert.False(replyTo.HasMessages);
        Assert.False(region.HasMessages);
    }

    [Fact]
    public async Task A_failure_reply_is_passed_on_as_it_is()
    {
        var (courier, region, replyTo) = await StartSentAsync();
        var failed = new CommandFailed(new PlaybackStateException("no active playback", "call-1", "ctl-1", null));

        courier.Tell(failed, region.Ref);

        Assert.Same(failed, await replyTo.ExpectMsgAsync<CommandFailed>());
        await ExpectTerminatedAsync(courier);
    }

    [Fact]
    public async Task A_moved_failure_sends_the_command_once_more_and_a_second_one_is_passed_on()
    {
        var (courier, region, replyTo) = await StartSentAsync();
        region.Reply(CommandReceived.Instance);

        courier.Tell(Moved(), region.Ref);
        Assert.Same(Command, await region.ExpectMsgAsync<PausePlay>());
        Assert.False(replyTo.HasMessages);

        var second = Moved();
        courier.Tell(second, region.Ref);

        Assert.Same(second, await replyTo.ExpectMsgAsync<CommandFailed>());
        await ExpectTerminatedAsync(courier);
        Assert.False(region.HasMessages);
    }

    [Fact]
    public async Task After_a_moved_failure_the_resent_commands_reply_is_passed_on()
    {
        var (courier, region, replyTo) = await StartSentAsync();
        courier.Tell(Moved(), region.Ref);
        await region.ExpectMsgAsync<PausePlay>();

        region.Reply(CommandReceived.Instance);

        await AnswerOkAsync(courier, region, replyTo);
    }

    [Fact]
    public async Task An_unacknowledged_command_is_sent_again_every_interval_until_a_call_actor_acknowledges_it()
    {
        var (courier, region, replyTo) = await StartSentAsync();

        // Sharding delivers at most once (a region may route to a node that just crashed): no acknowledgment, send again.
        await region.ExpectNoMsgAsync(Settle);
        Advance(CommandCourier.ResendInterval);
        Assert.Same(Command, await region.ExpectMsgAsync<PausePlay>());
        Advance(CommandCourier.ResendInterval);
        Assert.Same(Command, await region.ExpectMsgAsync<PausePlay>());
        courier.Tell(CommandReceived.Instance, region.Ref);
        await HandledAsync(courier);
        Advance(CommandCourier.ResendInterval * 2);
        await region.ExpectNoMsgAsync(Settle);

        await AnswerOkAsync(courier, region, replyTo);
    }

    [Fact]
    public async Task A_call_actor_that_stops_without_an_answer_fails_the_command_as_node_lost_after_a_grace()
    {
        var (courier, _, replyTo) = await StartSentAsync();

        await AcknowledgeFromAnEntityThatStopsAsync(courier);
        Advance(CommandCourier.AnswerGrace - TimeSpan.FromMilliseconds(1));
        await replyTo.ExpectNoMsgAsync(Settle);
        Advance(TimeSpan.FromMilliseconds(1));

        var failed = await replyTo.ExpectMsgAsync<CommandFailed>();
        Assert.IsType<PlaybackNodeLostException>(failed.Error);
        await ExpectTerminatedAsync(courier);
    }

    [Fact]
    public async Task An_answer_that_comes_after_the_call_actor_stopped_is_passed_on()
    {
        var (courier, region, replyTo) = await StartSentAsync();
        await AcknowledgeFromAnEntityThatStopsAsync(courier);

        await AnswerOkAsync(courier, region, replyTo);
        Advance(CommandCourier.AnswerGrace * 2);
        await replyTo.ExpectNoMsgAsync(Settle);
    }

    [Fact]
    public async Task An_acknowledged_command_is_not_sent_again()
    {
        var (courier, region, replyTo) = await StartSentAsync();
        region.Reply(CommandReceived.Instance);
        await HandledAsync(courier);

        Advance(CommandCourier.ResendInterval * 2);
        await region.ExpectNoMsgAsync(Settle);

        await AnswerOkAsync(courier, region, replyTo);
    }

    [Fact]
    public async Task A_courier_stopped_before_any_reply_fails_the_command_as_shut_down()
    {
        var (courier, region, replyTo) = await StartSentAsync();

        courier.Tell(PoisonPill.Instance);

        var error = Assert.IsType<PlaybackShutdownException>((await replyTo.ExpectMsgAsync<CommandFailed>()).Error);
        Assert.Equal("call-1", error.CallId);
        Assert.Equal("ctl-1", error.ControlId);
        await ExpectTerminatedAsync(courier);
    }

    [Fact]
    public async Task A_courier_that_gives_up_stops_without_a_reply()
    {
        var (courier, _, replyTo) = await StartSentAsync(TimeSpan.FromSeconds(30));
        Advance(TimeSpan.FromSeconds(29));
        await ExpectNoMsgAsync(Settle);

        Advance(TimeSpan.FromSeconds(1));
        await ExpectTerminatedAsync(courier);

        Assert.False(replyTo.HasMessages);
    }
}
