using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Playback.Emulator;
using Xunit.Abstractions;

namespace Playback.Cluster.Tests;

/// <summary>A node leaving gracefully and a node crashing, each on its own three-node loopback cluster; how long a crashed node's calls wait with the default timings.</summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const int Calls = 24;

    [Fact]
    public async Task A_graceful_leave_hands_calls_off_with_every_reply_and_no_play_sent_twice()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await StartClusterAsync(clock);
        var (a, b, c) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var emulator = cluster.Emulator;
        var onA = await SomeCallsHostedOnAsync(cluster, playedVia: b, hostedOn: a);

        // Commands take 40 ms at the emulator: the leave starts while they are in flight and queued on A.
        emulator.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { LatencyMs = 40 }] });
        var commands = new List<Task<string>>();
        foreach (var handle in onA)
        {
            foreach (var node in new[] { b, c })
            {
                commands.Add(Outcomes.Of(() => node.Playback.PauseAsync(handle.CallId, handle.ControlId)));
                commands.Add(Outcomes.Of(() => node.Playback.SetVolumeAsync(handle.CallId, handle.ControlId, 2)));
                commands.Add(Outcomes.Of(() => node.Playback.ResumeAsync(handle.CallId, handle.ControlId)));
            }
        }

        await CoordinatedShutdown.Get(a.System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        output.WriteLine($"A left at {clock.Elapsed.TotalSeconds:F1} s");
        var outcomes = await Task.WhenAll(commands);
        emulator.Faults.Clear();
        output.WriteLine($"{onA.Count} of {Calls} calls on the leaving node; {outcomes.Length} commands during the leave: {Outcomes.Summary(outcomes)}");

        // Every command got its one reply, and a successful one: replies were not lost, moved commands were sent again.
        Assert.All(outcomes, o => Assert.Equal("ok", o));

        // The calls live on B or C now, which know their playbacks: stopping each one works from any node.
        foreach (var handle in onA)
        {
            var host = await cluster.HostOfAsync(handle.CallId);
            Assert.True(host == b || host == c, $"call {handle.CallId} has a new home");
            var stopped = await c.Playback.StopAsync(handle.CallId, handle.ControlId);
            Assert.Equal(PlaybackState.Stopped, stopped.State);
        }

        var plays = emulator.Journal.Requests.Where(r => r.Command == "calling.play" && r.Status < 300).GroupBy(r => r.ControlId).ToList();
        output.WriteLine($"plays accepted by the emulator: {plays.Count} control ids, at most {plays.Max(g => g.Count())} each; overlaps {emulator.Journal.Overlaps}");
        Assert.Equal(Calls, plays.Count);
        Assert.All(plays, g => Assert.Single(g));
        Assert.Equal(0, emulator.Journal.Overlaps);
        Assert.All(onA, h => Assert.Equal("finished", emulator.GetPlay(h.CallId, h.ControlId)?.State));
    }

    [Fact]
    public async Task A_crashed_node_fails_the_commands_it_held_instead_of_leaving_callers_waiting()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await StartClusterAsync(clock, crashable: "c");
        var (a, b, c) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var emulator = cluster.Emulator;
        var onC = await SomeCallsHostedOnAsync(cluster, playedVia: a, hostedOn: c);

        // The crashed node's requests hang at the emulator: its callers can only learn the outcome from Playback.
        emulator.Faults.Set(new FaultPlan { Commands = onC.Select(h => new CommandFaultRule { CallId = h.CallId, LatencyMs = 5_000 }).ToList() });
        var commands = new List<Task<string>>();
        foreach (var handle in onC)
        {
            commands.Add(Outcomes.Of(() => a.Playback.PauseAsync(handle.CallId, handle.ControlId)).ContinueWith(t => "a-pause:" + t.Result));
            commands.Add(Outcomes.Of(() => b.Playback.SetVolumeAsync(handle.CallId, handle.ControlId, -6)).ContinueWith(t => "b-volume:" + t.Result));
        }

        await Outcomes.Eventually(() => c.Playback.Statistics.RequestsSent >= onC.Count * 2, "C has the pauses on the wire");
        await c.System.Terminate();
        var outcomes = await Task.WhenAll(commands);
        output.WriteLine($"callers answered at {clock.Elapsed.TotalSeconds:F1} s");
        emulator.Faults.Clear();
        output.WriteLine($"{onC.Count} of {Calls} calls on the crashed node; {outcomes.Length} commands held there: {Outcomes.Summary(outcomes)}");

        // Each caller on a surviving node got one answer, never a timeout: the pauses were on the wire at C, so their
        // outcome is unknown (node lost); a volume change that C held is lost with it, and one that had not reached C
        // yet is sent again to the call's new home and succeeds.
        Assert.All(outcomes.Where(o => o.StartsWith("a-pause:", StringComparison.Ordinal)), o => Assert.Equal("a-pause:" + nameof(PlaybackNodeLostException), o));
        Assert.All(outcomes.Where(o => o.StartsWith("b-volume:", StringComparison.Ordinal)), o => Assert.True(o is "b-volume:" + nameof(PlaybackNodeLostException) or "b-volume:ok", o));

        // The calls are served again from the surviving nodes, rebuilt from the events they received.
        await cluster.WaitForUpAsync(2);
        var stops = await Task.WhenAll(onC.Select(h => b.Playback.StopAsync(h.CallId, h.ControlId)));
        Assert.All(stops, s => Assert.Equal(PlaybackState.Stopped, s.State));

        output.WriteLine($"stopped on the survivors at {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Theory]
    [InlineData("c", "a node without the shard coordinator")]
    [InlineData("a", "the oldest node, which runs the shard coordinator")]
    public async Task A_stop_for_a_call_on_a_crashed_node_reaches_the_emulator_with_the_default_timings(string crashed, string which)
    {
        // With the timings a user gets (failure detection, downing and sharding from hocon/cluster.conf over Akka's
        // defaults), not the other tests' tuning. The wait is measured and written out; only the outcome is asserted.
        var clock = Stopwatch.StartNew();
        await using var cluster = await LoopbackCluster.StartAsync(3, crashed, defaultTimings: true);
        output.WriteLine($"cluster up in {clock.Elapsed.TotalSeconds:F1} s; crashing {crashed}, {which}");
        var dead = cluster.Nodes.Single(n => n.Name == crashed);
        var survivors = cluster.Nodes.Where(n => n != dead).ToList();
        var onDead = await cluster.CallsHostedOnAsync(await cluster.PlayOnManyCallsAsync(Calls, via: survivors[0]), dead);
        Assert.NotEmpty(onDead);

        // The crash: the ActorSystem stops without leaving the cluster (no coordinated shutdown, no handoff).
        var deadAddress = Akka.Cluster.Cluster.Get(dead.System).SelfUniqueAddress;
        var watcher = Akka.Cluster.Cluster.Get(survivors[1].System);
        var killed = Stopwatch.StartNew();
        var timeline = WatchMemberAsync(watcher, deadAddress, killed);
        await dead.System.Terminate();
        var terminated = killed.Elapsed;

        // What the user did: stop the dead node's calls from a survivor right after the kill.
        var stops = onDead.Select(async h =>
        {
            var outcome = await Outcomes.Of(async () => Assert.Equal(PlaybackState.Stopped, (await survivors[1].Playback.StopAsync(h.CallId, h.ControlId)).State));
            return (Handle: h, Outcome: outcome, Waited: killed.Elapsed);
        }).ToList();
        var results = await Task.WhenAll(stops);
        var (unreachable, downed, removed) = await timeline;

        output.WriteLine($"{onDead.Count} of {Calls} calls lived on {crashed}; its ActorSystem took {terminated.TotalSeconds:F1} s to terminate");
        output.WriteLine($"seen by {survivors[1].Name}, from the kill: unreachable {Seconds(unreachable)}, downed {Seconds(downed)}, removed {Seconds(removed)}");
        output.WriteLine($"failover wait (kill to stop answered): first {results.Min(r => r.Waited).TotalSeconds:F1} s, last {results.Max(r => r.Waited).TotalSeconds:F1} s; {Outcomes.Summary(results.Select(r => r.Outcome))}");

        // Each stop was answered from a survivor and reached the Calling API: the play is stopped at the emulator.
        var stopsSent = cluster.Emulator.Journal.Requests.Where(r => r.Command == "calling.play.stop" && r.Status is >= 200 and < 300).Select(r => r.ControlId).ToHashSet();
        Assert.All(results, r =>
        {
            Assert.Equal("ok", r.Outcome);
            Assert.Contains(r.Handle.ControlId, stopsSent);
            Assert.Equal("finished", cluster.Emulator.GetPlay(r.Handle.CallId, r.Handle.ControlId)?.State);
        });
    }

    private static string Seconds(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:F1} s" : "not seen";

    /// <summary>When a survivor saw the dead member unreachable, down and removed (polled; null = not seen within a minute).</summary>
    private static async Task<(TimeSpan? Unreachable, TimeSpan? Downed, TimeSpan? Removed)> WatchMemberAsync(Akka.Cluster.Cluster survivor, UniqueAddress dead, Stopwatch clock)
    {
        TimeSpan? unreachable = null, downed = null, removed = null;
        while (removed is null && clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            var state = survivor.State;
            var member = state.Members.FirstOrDefault(m => m.UniqueAddress.Equals(dead));
            unreachable ??= state.Unreachable.Any(m => m.UniqueAddress.Equals(dead)) ? clock.Elapsed : null;
            downed ??= member is { Status: MemberStatus.Down } ? clock.Elapsed : null;
            removed ??= member is null ? clock.Elapsed : null;
            await Task.Delay(20);
        }

        return (unreachable, downed, removed);
    }

    /// <summary>A three-node loopback cluster, its start time written to the output.</summary>
    private async Task<LoopbackCluster> StartClusterAsync(Stopwatch clock, string? crashable = null)
    {
        var cluster = await LoopbackCluster.StartAsync(3, crashable: crashable);
        output.WriteLine($"cluster up in {clock.Elapsed.TotalSeconds:F1} s");
        return cluster;
    }

    /// <summary>Plays on <see cref="Calls"/> calls via <paramref name="playedVia"/>; those hosted on <paramref name="hostedOn"/>, at least one.</summary>
    private static async Task<List<PlaybackHandle>> SomeCallsHostedOnAsync(LoopbackCluster cluster, ClusterNode playedVia, ClusterNode hostedOn)
    {
        var hosted = await cluster.CallsHostedOnAsync(await cluster.PlayOnManyCallsAsync(Calls, playedVia), hostedOn);
        Assert.NotEmpty(hosted);
        return hosted;
    }
}
