using Akka.Actor;
using Playback.Emulator;
using Xunit.Abstractions;

namespace Playback.Cluster.Tests;

/// <summary>A node leaving gracefully and a node crashing, each on its own three-node loopback cluster.</summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const int Calls = 24;

    [Fact]
    public async Task A_graceful_leave_hands_calls_off_with_every_reply_and_no_play_sent_twice()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
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
        var clock = System.Diagnostics.Stopwatch.StartNew();
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

    /// <summary>A three-node loopback cluster, its start time written to the output.</summary>
    private async Task<LoopbackCluster> StartClusterAsync(System.Diagnostics.Stopwatch clock, string? crashable = null)
    {
        var cluster = await LoopbackCluster.StartAsync(3, crashable: crashable);
        output.WriteLine($"cluster up in {clock.Elapsed.TotalSeconds:F1} s");
        return cluster;
    }

    /// <summary>Plays on <see cref="Calls"/> calls via <paramref name="playedVia"/>; those hosted on <paramref name="hostedOn"/>, at least one.</summary>
    private static async Task<List<PlaybackHandle>> SomeCallsHostedOnAsync(LoopbackCluster cluster, ClusterNode playedVia, ClusterNode hostedOn)
    {
        var hosted = await CallsHostedOnAsync(cluster, await PlayOnManyCallsAsync(cluster, playedVia), hostedOn);
        Assert.NotEmpty(hosted);
        return hosted;
    }

    private static async Task<IReadOnlyList<PlaybackHandle>> PlayOnManyCallsAsync(LoopbackCluster cluster, ClusterNode via)
    {
        var calls = Enumerable.Range(0, Calls).Select(_ => cluster.Emulator.CreateCall()).ToList();
        var handles = await Task.WhenAll(calls.Select(call => via.Playback.PlayAsync(call, Outcomes.Long(), new PlayOptions { StatusUrl = via.WebhookUrl })));
        foreach (var node in cluster.Nodes)
        {
            await Outcomes.Eventually(() => handles.All(h => node.Playback.Snapshot(h.CallId).Any(s => s.State == PlaybackState.Playing)), $"node {node.Name} has every call's events");
        }

        return handles;
    }

    private static async Task<List<PlaybackHandle>> CallsHostedOnAsync(LoopbackCluster cluster, IEnumerable<PlaybackHandle> handles, ClusterNode node)
    {
        var result = new List<PlaybackHandle>();
        foreach (var handle in handles)
        {
            if (await cluster.HostOfAsync(handle.CallId) == node)
            {
                result.Add(handle);
            }
        }

        return result;
    }
}
