using System.Collections.Concurrent;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Playback.Tests;

public sealed class RxStreamTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    /// <summary>Plays on <paramref name="callId"/>, pauses and stops it: four events (starting, playing, paused, stopped).</summary>
    private async Task<PlaybackHandle> PlayPauseAndStopAsync(PlaybackManager manager, string callId)
    {
        var handle = await Within10s(manager.PlayAsync(callId, Hello));
        await Within10s(handle.PauseAsync());
        await Within10s(handle.StopAsync());
        return handle;
    }

    [Fact]
    public async Task Handle_states_replay_the_current_state_then_follow_and_complete_after_the_terminal_one()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-s1", Hello));

        var early = handle.States.ToList().ToTask();
        await handle.PauseAsync();
        await handle.StopAsync();

        Assert.Equal([PlaybackState.Playing, PlaybackState.Paused, PlaybackState.Stopped], await Within10s(early));

        // A subscriber after the end still gets the terminal state, then completion.
        Assert.Equal([PlaybackState.Stopped], await Within10s(handle.States.ToList().ToTask()));
    }

    [Fact]
    public async Task Events_carry_previous_state_volume_reason_and_what_changed()
    {
        await using var manager = CreateManager();
        var events = new ConcurrentQueue<PlaybackEvent>();
        using var sub = manager.Events.Subscribe(events.Enqueue);

        var handle = await Within10s(manager.PlayAsync("call-e", Hello, new PlayOptions { ControlId = "e1", Volume = 2 }));
        await handle.SetVolumeAsync(-6);
        await handle.StopAsync();

        await AwaitAssertAsync(() => Assert.Equal(4, events.Count));
        var list = events.ToList();
        Assert.Equal((PlaybackState.Starting, (PlaybackState?)null, PlaybackChange.State), (list[0].State, list[0].PreviousState, list[0].Change));
        Assert.Equal((PlaybackState.Playing, (PlaybackState?)PlaybackState.Starting), (list[1].State, list[1].PreviousState));
        Assert.Equal((PlaybackChange.Volume, -6.0, PlaybackState.Playing), (list[2].Change, list[2].Volume, list[2].State));
        Assert.Equal((PlaybackState.Stopped, "stopped"), (list[3].State, list[3].Reason));
        Assert.All(list, e => Assert.Equal(("call-e", "e1"), (e.CallId, e.ControlId)));
    }

    [Fact]
    public async Task EventsFor_replays_the_current_playbacks_of_the_call_then_only_that_calls_changes()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-f", Hello, new PlayOptions { ControlId = "f1" }));
        await Within10s(manager.PlayAsync("call-other", Hello));

        var seen = new ConcurrentQueue<PlaybackEvent>();
        using var sub = manager.EventsFor("call-f").Subscribe(seen.Enqueue);
        await handle.PauseAsync();
        await Within10s(manager.PlayAsync("call-other", Hello, new PlayOptions { WhenBusy = PlayConflict.Replace }));

        await AwaitAssertAsync(() => Assert.Equal(2, seen.Count));
        Assert.Equal([PlaybackState.Playing, PlaybackState.Paused], seen.Select(e => e.State));
        Assert.All(seen, e => Assert.Equal("call-f", e.CallId));
    }

    [Fact]
    public async Task Snapshot_lists_the_playbacks_that_have_not_ended()
    {
        await using var manager = CreateManager();
        await Within10s(manager.PlayAsync("call-snap", Hello, new PlayOptions { ControlId = "a" }));
        await Within10s(manager.PlayAsync("call-snap", Hello, new PlayOptions { ControlId = "b" }));

        var snapshot = manager.Snapshot("call-snap").OrderBy(s => s.ControlId).ToList();

        Assert.Equal([("a", PlaybackState.Playing), ("b", PlaybackState.Queued)], snapshot.Select(s => (s.ControlId, s.State)));
        Assert.Empty(manager.Snapshot("call-unknown"));
    }

    [Fact]
    public async Task Subscriber_code_never_runs_on_an_actor_thread()
    {
        await using var manager = CreateManager();
        var onActor = new ConcurrentBag<bool>();
        using var sub = manager.Events.Subscribe(_ => onActor.Add(CalledFromAkka()));
        var handle = await Within10s(manager.PlayAsync("call-t", Hello));
        using var states = handle.States.Subscribe(_ => onActor.Add(CalledFromAkka()));
        await handle.StopAsync();

        await AwaitAssertAsync(() => Assert.True(onActor.Count >= 4));
        Assert.DoesNotContain(true, onActor);
    }

    [Fact]
    public async Task A_blocked_subscriber_does_not_block_the_actor_or_other_subscribers()
    {
        await using var manager = CreateManager();
        using var release = new ManualResetEventSlim(false);
        var slowSaw = 0;
        using var slow = manager.Events.Subscribe(_ =>
        {
            release.Wait(TimeSpan.FromSeconds(30));
            Interlocked.Increment(ref slowSaw);
        });
        var fast = new ConcurrentQueue<PlaybackEvent>();
        using var quick = manager.Events.Subscribe(fast.Enqueue);

        await PlayPauseAndStopAsync(manager, "call-slow");

        await AwaitAssertAsync(() => Assert.Equal(4, fast.Count));
        Assert.Equal(0, Volatile.Read(ref slowSaw));
        release.Set();
        await AwaitAssertAsync(() => Assert.Equal(4, Volatile.Read(ref slowSaw)));
    }

    [Fact]
    public async Task A_throwing_subscriber_is_dropped_without_breaking_the_actor_or_other_subscribers()
    {
        await using var manager = CreateManager();
        var thrower = 0;
        using var bad = manager.Events.Subscribe(_ =>
        {
            Interlocked.Increment(ref thrower);
            throw new InvalidOperationException("subscriber bug");
        });
        var good = new ConcurrentQueue<PlaybackEvent>();
        using var ok = manager.Events.Subscribe(good.Enqueue);

        var handle = await PlayPauseAndStopAsync(manager, "call-bad-sub");

        await AwaitAssertAsync(() => Assert.Equal(4, good.Count));

        // Each subscriber has its own delivery queue: the thrower's first (and only) event may come after the others'.
        await AwaitAssertAsync(() => Assert.Equal(1, Volatile.Read(ref thrower)));
        Assert.Equal(PlaybackState.Stopped, (await Within10s(handle.Completion)).State);
        Assert.Equal(1, Volatile.Read(ref thrower));
    }

    [Fact]
    public async Task Disposing_the_manager_completes_the_streams_and_faults_unfinished_handles()
    {
        var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-d", Hello));
        var all = manager.Events.LastOrDefaultAsync().ToTask();

        await manager.DisposeAsync();

        await Within10s(all);
        await Assert.ThrowsAsync<PlaybackShutdownException>(() => Within10s(handle.Completion));
    }

    /// <summary>Whether any frame on the current stack belongs to Akka (an actor's message processing or a dispatcher).</summary>
    private static bool CalledFromAkka() =>
        new StackTrace().GetFrames().Any(f => f.GetMethod()?.DeclaringType?.Namespace?.StartsWith("Akka", StringComparison.Ordinal) == true
            || f.GetMethod()?.DeclaringType?.FullName?.StartsWith("Playback.PlaybackActor", StringComparison.Ordinal) == true);
}
