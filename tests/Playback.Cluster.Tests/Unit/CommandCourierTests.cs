using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Playback.Cluster.Tests.Unit;

public sealed class CommandCourierTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = WARNING", output: output)
{
    private static readonly PausePlay Command = new("call-1", "ctl-1");
    private static readonly Address Elsewhere = new("akka.tcp", "cluster", "10.0.0.9", 4053);

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
        var (courier, region, replyTo) = Start();
        await region.ExpectMsgAsync<PausePlay>();
        var failed = new CommandFailed(new PlaybackStateException("no active playback", "call-1", "ctl-1", null));

        courier.Tell(failed, region.Ref);

        Assert.Same(failed, await replyTo.ExpectMsgAsync<CommandFailed>());
        await ExpectTerminatedAsync(courier);
    }

    [Fact]
    public async Task A_moved_failure_sends_the_command_once_more_and_a_second_one_is_passed_on()
    {
        var (courier, region, replyTo) = Start();
        await region.ExpectMsgAsync<PausePlay>();
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
        var (courier, region, replyTo) = Start();
        await region.ExpectMsgAsync<PausePlay>();
        courier.Tell(Moved(), region.Ref);
        await region.ExpectMsgAsync<PausePlay>();

        region.Reply(CommandReceived.Instance);
        courier.Tell(Ok(), region.Ref);

        await replyTo.ExpectMsgAsync<CommandSucceeded>();
        await ExpectTerminatedAsync(courier);
    }

    [Fact]
    public async Task A_removed_node_before_any_acknowledgment_sends_the_command_once_more()
    {
        var (courier, region, replyTo) = Start();
        await region.ExpectMsgAsync<PausePlay>();

        courier.Tell(new NodeRemoved(Elsewhere));
        Assert.Same(Command, await region.ExpectMsgAsync<PausePlay>());
        courier.Tell(new NodeRemoved(Elsewhere));
        courier.Tell(Ok(), region.Ref);

        await replyTo.ExpectMsgAsync<CommandSucceeded>();
        await ExpectTerminatedAsync(courier);
        Assert.False(region.HasMessages);
    }

    [Fact]
    public async Task An_acknowledgment_before_the_delayed_resend_cancels_it()
    {
        var (courier, region, replyTo) = Start();
        await region.ExpectMsgAsync<PausePlay>();

        courier.Tell(new NodeRemoved(Elsewhere));
        courier.Tell(CommandReceived.Instance, region.Ref);
        await region.ExpectNoMsgAsync(CommandCourier.ResendAfterRemoval + TimeSpan.FromMilliseconds(500));
        courier.Tell(Ok(), region.Ref);

        await replyTo.ExpectMsgAsync<CommandSucceeded>();
        await ExpectTerminatedAsync(courier);
    }

    [Fact]
    public async Task A_removed_node_after_the_acknowledgment_does_not_resend()
    {
        var (courier, region, replyTo) = Start();
        await region.ExpectMsgAsync<PausePlay>();
        region.Reply(CommandReceived.Instance);

        courier.Tell(new NodeRemoved(Elsewhere));
        courier.Tell(Ok(), region.Ref);

        await replyTo.ExpectMsgAsync<CommandSucceeded>();
        await ExpectTerminatedAsync(courier);
        Assert.False(region.HasMessages);
    }

    [Fact]
    public async Task A_courier_stopped_before_any_reply_fails_the_command_as_shut_down()
    {
        var (courier, region, replyTo) = Start();
        await region.ExpectMsgAsync<PausePlay>();

        courier.Tell(PoisonPill.Instance);

        var error = Assert.IsType<PlaybackShutdownException>((await replyTo.ExpectMsgAsync<CommandFailed>()).Error);
        Assert.Equal("call-1", error.CallId);
        Assert.Equal("ctl-1", error.ControlId);
        await ExpectTerminatedAsync(courier);
    }

    [Fact]
    public async Task A_courier_that_gives_up_stops_without_a_reply()
    {
        var (courier, region, replyTo) = Start(giveUpAfter: TimeSpan.FromMilliseconds(100));
        await region.ExpectMsgAsync<PausePlay>();

        await ExpectTerminatedAsync(courier, TimeSpan.FromSeconds(10));

        Assert.False(replyTo.HasMessages);
    }
}
