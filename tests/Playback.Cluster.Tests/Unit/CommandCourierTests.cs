using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Playback.Cluster.Tests.Unit;

public sealed class CommandCourierTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = WARNING", output: output)
{
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

    /// <summary>A started courier whose command has reached the region.</summary>
    private async Task<(IActorRef Courier, TestProbe Region, TestProbe ReplyTo)> StartSentAsync(TimeSpan? giveUpAfter = null)
    {
        var started = Start(giveUpAfter);
        await started.Region.ExpectMsgAsync<PausePlay>();
        return started;
    }

    /// <summary>A success answer from the region goes to the caller and ends the courier.</summary>
    private async Task AnswerOkAsync(IActorRef courier, TestProbe region, TestProbe replyTo)
    {
        courier.Tell(Ok(), region.Ref);
        await replyTo.ExpectMsgAsync<CommandSucceeded>();
        await ExpectTerminatedAsync(courier);
    }

    /// <summary>A call actor acknowledges the command and then stops without an answer.</summary>
    private void AcknowledgeFromAnEntityThatStops(IActorRef courier)
    {
        var entity = CreateTestProbe("entity");
        courier.Tell(CommandReceived.Instance, entity.Ref);
        Sys.Stop(entity.Ref);
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
        Assert.Same(Command, await region.ExpectMsgAsync<PausePlay>(CommandCourier.ResendInterval * 3));
        Assert.Same(Command, await region.ExpectMsgAsync<PausePlay>(CommandCourier.ResendInterval * 3));
        courier.Tell(CommandReceived.Instance, region.Ref);
        await region.ExpectNoMsgAsync(CommandCourier.ResendInterval * 2);

        await AnswerOkAsync(courier, region, replyTo);
    }

    [Fact]
    public async Task A_call_actor_that_stops_without_an_answer_fails_the_command_as_node_lost_after_a_grace()
    {
        var (courier, _, replyTo) = await StartSentAsync();

        AcknowledgeFromAnEntityThatStops(courier);

        var failed = await replyTo.ExpectMsgAsync<CommandFailed>(CommandCourier.AnswerGrace * 3);
        Assert.IsType<PlaybackNodeLostException>(failed.Error);
        await ExpectTerminatedAsync(courier);
    }

    [Fact]
    public async Task An_answer_that_comes_after_the_call_actor_stopped_is_passed_on()
    {
        var (courier, region, replyTo) = await StartSentAsync();
        AcknowledgeFromAnEntityThatStops(courier);
        await Task.Delay(100);

        await AnswerOkAsync(courier, region, replyTo);
        await replyTo.ExpectNoMsgAsync(CommandCourier.AnswerGrace + TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task An_acknowledged_command_is_not_sent_again()
    {
        var (courier, region, replyTo) = await StartSentAsync();
        region.Reply(CommandReceived.Instance);

        await region.ExpectNoMsgAsync(CommandCourier.ResendInterval * 2);

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
        var (courier, _, replyTo) = await StartSentAsync(TimeSpan.FromMilliseconds(100));

        await ExpectTerminatedAsync(courier, TimeSpan.FromSeconds(10));

        Assert.False(replyTo.HasMessages);
    }
}
