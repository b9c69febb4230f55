using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Playback.Cluster.Tests.Unit;

/// <summary>The call actor as a sharding entity: a forwarding parent stands in for the shard, probes for the region and the event bus.</summary>
public sealed class ClusterPlaybackActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly ImmutableArray<MediaItem> Hold = [Media.Audio("https://cdn.example.com/hold.mp3")];
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);

    private readonly object _passivateRequest = new Akka.Cluster.Sharding.Passivate(StopIfIdle.Instance);
    private readonly FakeCallingApi _api = new();
    private readonly TestProbe _parent;
    private readonly TestProbe _region;
    private readonly TestProbe _events;

    public ClusterPlaybackActorTests(ITestOutputHelper output)
        : base(UnitConfig.WithPlayback, output: output)
    {
        _parent = CreateTestProbe("shard");
        _region = CreateTestProbe("region");
        _events = CreateTestProbe("events");
    }

    private async Task<IActorRef> StartCall(string callId, IReadOnlyList<PlaybackSnapshot>? seed = null, TimeSpan? idle = null, TimeSpan? restore = null, bool hasSuccessor = true, bool predecessorCrashed = false)
    {
        var settings = new PlaybackActorSettings(_api, new PlaybackEventHub(null, _ => { }), new PlaybackCounters(), idle ?? Long, TimeSpan.Zero, CancellationToken.None);
        var hooks = new ClusterEntityHooks(_passivateRequest, () => _region.Ref, e => _events.Ref.Tell(e), _ => seed ?? [], restore ?? Long, () => hasSuccessor, _ => predecessorCrashed);
        var parent = Sys.ActorOf(ForwardingParent.Props(ClusterCallActor.Props(callId, settings, hooks), _parent.Ref));
        return await parent.Ask<IActorRef>(GetChild.Instance, TimeSpan.FromSeconds(5));
    }

    private async Task<IActorRef> StartWatchedCall(string callId, IReadOnlyList<PlaybackSnapshot>? seed = null, TimeSpan? idle = null, bool hasSuccessor = true)
    {
        var call = await StartCall(callId, seed, idle, hasSuccessor: hasSuccessor);
        Watch(call);
        return call;
    }

    private static void AssertNoMessages(params TestProbe[] probes) => Assert.All(probes, p => Assert.False(p.HasMessages));

    /// <summary>A caller whose play of <c>a</c> on <paramref name="call"/> has succeeded.</summary>
    private async Task<TestProbe> PlayingAsync(IActorRef call, string callId)
    {
        var caller = CreateTestProbe();
        call.Tell(Play(callId, "a"), caller.Ref);
        await Reply<CommandSucceeded>(caller);
        return caller;
    }

    private static StartPlay Play(string callId, string controlId) =>
        new(callId, controlId, Hold, new PlayOptions { ControlId = controlId, Volume = -1 });

    private static PlaybackEntry Entry(string controlId, PlaybackState state, double volume = 0) =>
        new(controlId, state, volume, null, Hold, new PlayOptions { ControlId = controlId });

    private static async Task<T> Reply<T>(TestProbe caller)
        where T : CommandReply
    {
        await caller.ExpectMsgAsync<CommandReceived>();
        return await caller.ExpectMsgAsync<T>();
    }

    private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Play <c>a</c> from a first caller, its request held at the API until the returned gate opens; then <paramref name="next"/> from a second caller, acknowledged while it waits.</summary>
    private async Task<(TaskCompletionSource Held, TestProbe First, TestProbe Second)> PlayHeldThenAsync(IActorRef call, string callId, IPlaybackCommand next)
    {
        var held = NewGate();
        _api.Respond = _ => held.Task;
        var first = CreateTestProbe();
        var second = CreateTestProbe();

        call.Tell(Play(callId, "a"), first.Ref);
        await first.ExpectMsgAsync<CommandReceived>();
        await AwaitAssertAsync(() => Assert.Single(_api.Requests));
        call.Tell(next, second.Ref);
        await second.ExpectMsgAsync<CommandReceived>();
        return (held, first, second);
    }

    [Fact]
    public async Task Every_command_is_acknowledged_to_its_sender_before_its_reply()
    {
        var call = await StartCall("call-a");
        var caller = CreateTestProbe();
        IPlaybackCommand[] commands =
        [
            Play("call-a", "a"), new PausePlay("call-a", "a"), new ResumePlay("call-a", "a"), new ChangeVolume("call-a", "a", 4),
            new StopPlay("call-a", "a"), new PausePlay("call-a", "unknown"),
        ];

        var replies = new List<CommandReply>();
        foreach (var command in commands)
        {
            call.Tell(command, caller.Ref);
            await caller.ExpectMsgAsync<CommandReceived>();
            replies.Add(await caller.ExpectMsgAsync<CommandReply>());
        }

        Assert.Equal(
            [PlaybackState.Playing, PlaybackState.Paused, PlaybackState.Playing, PlaybackState.Playing, PlaybackState.Stopped],
            replies.Take(5).Select(r => Assert.IsType<CommandSucceeded>(r).Playback.State));
        Assert.Equal(4, ((CommandSucceeded)replies[3]).Playback.Volume);
        var failed = Assert.IsType<CommandFailed>(replies[5]);
        Assert.IsType<PlaybackStateException>(failed.Error);
        Assert.Equal(5, _api.Requests.Count);
    }

    [Fact]
    public async Task A_command_waiting_behind_a_request_is_acknowledged_at_once_and_answered_after_it()
    {
        var call = await StartCall("call-a2");
        var (held, first, second) = await PlayHeldThenAsync(call, "call-a2", new ChangeVolume("call-a2", "a", -5));
        Assert.Single(_api.Requests);

        _api.Respond = _ => Task.CompletedTask;
        held.SetResult();

        Assert.Equal(PlaybackState.Playing, (await first.ExpectMsgAsync<CommandSucceeded>()).Playback.State);
        Assert.Equal(-5, (await second.ExpectMsgAsync<CommandSucceeded>()).Playback.Volume);
    }

    [Fact]
    public async Task An_idle_actor_asks_the_shard_to_passivate_it_and_sends_what_came_meanwhile_back_through_the_region()
    {
        var call = await StartWatchedCall("call-b", idle: TimeSpan.FromMilliseconds(100));
        var caller = CreateTestProbe();
        var webhook = CreateTestProbe();

        var request = await _parent.ExpectMsgAsync<object>(TimeSpan.FromSeconds(10));
        Assert.Same(_passivateRequest, request);

        var pause = new PausePlay("call-b", "x");
        var status = new PlayStatusReceived("call-b", "x", ReportedPlayState.Playing, null);
        call.Tell(pause, caller.Ref);
        await caller.ExpectMsgAsync<CommandReceived>();
        call.Tell(status, webhook.Ref);
        call.Tell(StopIfIdle.Instance);

        Assert.Same(pause, await _region.ExpectMsgAsync<PausePlay>());
        Assert.Equal(caller.Ref, _region.LastSender);
        Assert.Same(status, await _region.ExpectMsgAsync<PlayStatusReceived>());
        Assert.Equal(webhook.Ref, _region.LastSender);
        await ExpectTerminatedAsync(call);

        // The successor answers them: the stopped actor neither ran nor failed them.
        AssertNoMessages(caller, webhook);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Handing_off_with_a_request_in_flight_finishes_it_fails_the_waiting_command_as_moved_and_hands_the_state_on()
    {
        var call = await StartWatchedCall("call-c");
        var (held, first, second) = await PlayHeldThenAsync(call, "call-c", new PausePlay("call-c", "a"));
        call.Tell(HandOffCall.Instance);
        held.SetResult();

        var succeeded = await first.ExpectMsgAsync<CommandSucceeded>();
        Assert.Equal(PlaybackState.Playing, succeeded.Playback.State);
        var moved = Assert.IsType<PlaybackMovedException>((await second.ExpectMsgAsync<CommandFailed>()).Error);
        Assert.Equal("call-c", moved.CallId);
        Assert.Equal("a", moved.ControlId);

        var handoff = await _region.ExpectMsgAsync<CallHandoff>();
        Assert.Equal("call-c", handoff.CallId);
        var entry = Assert.Single(handoff.Playbacks);
        Assert.Equal("a", entry.ControlId);
        Assert.Equal(PlaybackState.Playing, entry.State);
        Assert.Equal<MediaItem>(Hold, entry.Media);
        Assert.Equal(-1, entry.Options.Volume);
        Assert.NotNull(entry.LastAckAt);
        await ExpectTerminatedAsync(call);

        Assert.Single(_api.Requests);
        AssertNoMessages(first, second);
    }

    [Theory]
    [InlineData("idle")] // its one playback stopped: nothing live to hand on
    [InlineData("fresh")] // never played
    [InlineData("without-successor")] // a live playback, but no other node can host the call
    public async Task Handing_off_an_actor_with_nothing_live_or_no_successor_sends_no_handoff_and_stops(string situation)
    {
        var callId = "call-" + situation;
        var call = await StartWatchedCall(callId, hasSuccessor: situation != "without-successor");
        var caller = situation == "fresh" ? null : await PlayingAsync(call, callId);
        if (caller is not null && situation == "idle")
        {
            call.Tell(new StopPlay(callId, "a"), caller.Ref);
            Assert.Equal(PlaybackState.Stopped, (await Reply<CommandSucceeded>(caller)).Playback.State);
        }

        call.Tell(HandOffCall.Instance);

        await ExpectTerminatedAsync(call);
        Assert.False(_region.HasMessages);
    }

    [Fact]
    public async Task Handing_off_a_ready_actor_with_a_paused_playback_sends_it_to_the_region()
    {
        var call = await StartWatchedCall("call-d3");
        var caller = await PlayingAsync(call, "call-d3");
        call.Tell(new PausePlay("call-d3", "a"), caller.Ref);
        await Reply<CommandSucceeded>(caller);

        call.Tell(HandOffCall.Instance);

        var handoff = await _region.ExpectMsgAsync<CallHandoff>();
        Assert.Equal(PlaybackState.Paused, Assert.Single(handoff.Playbacks).State);
        await ExpectTerminatedAsync(call);
    }

    [Fact]
    public async Task A_seeded_actor_holds_commands_until_the_handoff_arrives_then_applies_it()
    {
        var call = await StartCall("call-e", seed: [new PlaybackSnapshot("call-e", "seen", PlaybackState.Playing, 0, null)]);
        var caller = CreateTestProbe();

        call.Tell(new PausePlay("call-e", "handed"), caller.Ref);
        await caller.ExpectMsgAsync<CommandReceived>();
        Assert.Empty(_api.Requests);

        call.Tell(new CallHandoff("call-e", [Entry("handed", PlaybackState.Playing, -2)], [], []));

        var paused = await caller.ExpectMsgAsync<CommandSucceeded>();
        Assert.Equal("handed", paused.Playback.ControlId);
        Assert.Equal(PlaybackState.Paused, paused.Playback.State);
        Assert.Equal(-2, paused.Playback.Volume);
        var request = Assert.Single(_api.Requests);
        Assert.Equal((CallingApi.Commands.Pause, "call-e", "handed"), (request.Command, request.CallId, request.ControlId));
    }

    [Fact]
    public async Task A_seeded_actor_handed_off_again_before_its_handoff_fails_waiting_commands_as_moved_and_stops()
    {
        var call = await StartWatchedCall("call-e2", seed: [new PlaybackSnapshot("call-e2", "seen", PlaybackState.Playing, 0, null)]);
        var caller = CreateTestProbe();
        var webhook = CreateTestProbe();
        var status = new PlayStatusReceived("call-e2", "seen", ReportedPlayState.Finished, null);

        call.Tell(new StopPlay("call-e2", "seen"), caller.Ref);
        await caller.ExpectMsgAsync<CommandReceived>();
        call.Tell(status, webhook.Ref);
        call.Tell(HandOffCall.Instance);

        Assert.IsType<PlaybackMovedException>((await caller.ExpectMsgAsync<CommandFailed>()).Error);
        Assert.Same(status, await _region.ExpectMsgAsync<PlayStatusReceived>());
        Assert.Equal(webhook.Ref, _region.LastSender);
        await ExpectTerminatedAsync(call);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Without_a_handoff_a_seeded_actor_restores_from_the_events_after_the_restore_timeout()
    {
        var call = await StartCall(
            "call-f",
            seed:
            [
                new PlaybackSnapshot("call-f", "p", PlaybackState.Playing, -2, null),
                new PlaybackSnapshot("call-f", "q", PlaybackState.Queued, 3, null),
            ],
            restore: TimeSpan.FromMilliseconds(200));
        var caller = CreateTestProbe();

        call.Tell(new PausePlay("call-f", "p"), caller.Ref);
        await caller.ExpectMsgAsync<CommandReceived>();

        var lost = await _events.ExpectMsgAsync<PlaybackEvent>(TimeSpan.FromSeconds(10));
        Assert.Equal(("call-f", "q", PlaybackState.Failed, PlaybackState.Queued), (lost.CallId, lost.ControlId, lost.State, lost.PreviousState));
        Assert.Equal(3, lost.Volume);

        var paused = await caller.ExpectMsgAsync<CommandSucceeded>();
        Assert.Equal(PlaybackState.Paused, paused.Playback.State);
        Assert.Equal(-2, paused.Playback.Volume);
        var request = Assert.Single(_api.Requests);
        Assert.Equal((CallingApi.Commands.Pause, "p"), (request.Command, request.ControlId));

        // The queued one is gone for good.
        call.Tell(new StopPlay("call-f", "q"), caller.Ref);
        Assert.IsType<PlaybackStateException>((await Reply<CommandFailed>(caller)).Error);
    }

    [Fact]
    public async Task A_seeded_actor_whose_predecessor_crashed_restores_from_the_events_without_waiting_for_a_handoff()
    {
        // The restore timeout is an hour: only knowing that the predecessor's node crashed lets the pause through.
        var call = await StartCall("call-f2", seed: [new PlaybackSnapshot("call-f2", "p", PlaybackState.Playing, -2, null)], predecessorCrashed: true);
        var caller = CreateTestProbe();

        call.Tell(new PausePlay("call-f2", "p"), caller.Ref);

        var paused = await Reply<CommandSucceeded>(caller);
        Assert.Equal((PlaybackState.Paused, -2.0), (paused.Playback.State, paused.Playback.Volume));
        Assert.Equal((CallingApi.Commands.Pause, "p"), (Assert.Single(_api.Requests).Command, _api.Requests[0].ControlId));
    }

    [Fact]
    public async Task A_copy_of_a_command_from_the_same_sender_is_acknowledged_and_dropped()
    {
        var call = await StartCall("call-h");
        var caller = await PlayingAsync(call, "call-h");

        var courier = CreateTestProbe();
        call.Tell(new PausePlay("call-h", "a"), courier.Ref);
        call.Tell(new PausePlay("call-h", "a"), courier.Ref);

        var received = new List<object>();
        for (var i = 0; i < 3; i++)
        {
            received.Add(await courier.ReceiveOneAsync(TimeSpan.FromSeconds(3)));
        }

        await courier.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(2, received.Count(m => m is CommandReceived));
        Assert.Single(received.OfType<CommandSucceeded>());
        Assert.Equal(1, _api.Requests.Count(r => r.Command == CallingApi.Commands.Pause));
    }

    [Fact]
    public async Task A_late_handoff_in_ready_is_merged_so_its_playbacks_can_be_controlled()
    {
        var call = await StartCall(
            "call-g",
            seed:
            [
                new PlaybackSnapshot("call-g", "p", PlaybackState.Playing, 0, null),
                new PlaybackSnapshot("call-g", "q", PlaybackState.Queued, 0, null),
            ],
            restore: TimeSpan.FromMilliseconds(100));
        var caller = CreateTestProbe();
        await _events.ExpectMsgAsync<PlaybackEvent>(e => e.ControlId == "q" && e.State == PlaybackState.Failed, TimeSpan.FromSeconds(10));

        call.Tell(new StopPlay("call-g", "late"), caller.Ref);
        Assert.IsType<PlaybackStateException>((await Reply<CommandFailed>(caller)).Error);

        call.Tell(new CallHandoff("call-g", [Entry("p", PlaybackState.Playing), Entry("late", PlaybackState.Playing)], [], []));
        var second = CreateTestProbe(); // every command has its own sender (its courier); the same one twice is a copy
        call.Tell(new StopPlay("call-g", "late"), second.Ref);

        var stopped = await Reply<CommandSucceeded>(second);
        Assert.Equal(("late", PlaybackState.Stopped), (stopped.Playback.ControlId, stopped.Playback.State));
        var request = Assert.Single(_api.Requests);
        Assert.Equal((CallingApi.Commands.Stop, "late"), (request.Command, request.ControlId));
    }
}
