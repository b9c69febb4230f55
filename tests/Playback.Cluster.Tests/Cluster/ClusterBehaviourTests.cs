using Playback.Emulator;
using Xunit.Abstractions;

namespace Playback.Cluster.Tests;

public sealed class ThreeNodeCluster : IAsyncLifetime
{
    public LoopbackCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await LoopbackCluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Three real ActorSystems on loopback, Playback.Cluster on each, real HTTP to one emulator.</summary>
public sealed class ClusterBehaviourTests(ThreeNodeCluster fixture, ITestOutputHelper output) : IClassFixture<ThreeNodeCluster>
{
    private LoopbackCluster Cluster => fixture.Cluster;

    private CallingEmulator Emulator => fixture.Cluster.Emulator;

    private IReadOnlyList<ClusterNode> Nodes => fixture.Cluster.Nodes;

    [Fact]
    public async Task Commands_for_a_call_from_every_node_reach_the_api_one_at_a_time()
    {
        // Every command takes 30 ms at the emulator, so commands of one call sent side by side would overlap there.
        Emulator.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { LatencyMs = 30 }] });
        try
        {
            var calls = Enumerable.Range(0, 6).Select(_ => Emulator.CreateCall()).ToList();
            var handles = await Task.WhenAll(calls.Select((call, i) => Nodes[i % Nodes.Count].Playback.PlayAsync(call, Outcomes.Long(), new PlayOptions { StatusUrl = Nodes[0].WebhookUrl })));
            var overlapsBefore = Emulator.Journal.Overlaps;
            var requestsBefore = Emulator.Journal.Requests.Count;

            var commands = new List<Task<string>>();
            foreach (var handle in handles)
            {
                foreach (var node in Nodes)
                {
                    commands.Add(Outcomes.Of(() => node.Playback.PauseAsync(handle.CallId, handle.ControlId)));
                    commands.Add(Outcomes.Of(() => node.Playback.SetVolumeAsync(handle.CallId, handle.ControlId, -3)));
                    commands.Add(Outcomes.Of(() => node.Playback.ResumeAsync(handle.CallId, handle.ControlId)));
                }
            }

            var outcomes = await Task.WhenAll(commands);
            output.WriteLine($"{outcomes.Length} commands from {Nodes.Count} nodes: {Outcomes.Summary(outcomes)}; requests {Emulator.Journal.Requests.Count - requestsBefore}; overlaps {Emulator.Journal.Overlaps - overlapsBefore}");
            Assert.All(outcomes, o => Assert.Equal("ok", o));
            Assert.Equal(overlapsBefore, Emulator.Journal.Overlaps);
            Assert.True(Emulator.Journal.Requests.Count - requestsBefore >= handles.Length * 2, "pauses and resumes reached the emulator");

            await Task.WhenAll(handles.Select(h => Nodes[2].Playback.StopAsync(h.CallId, h.ControlId)));
            Assert.Equal(overlapsBefore, Emulator.Journal.Overlaps);
        }
        finally
        {
            Emulator.Faults.Clear();
        }
    }

    [Fact]
    public async Task A_command_from_a_node_without_the_call_carries_the_callers_trace_to_the_api()
    {
        var call = Emulator.CreateCall();
        var (handle, host, elsewhere) = await PlayAndLocateAsync(call);
        using var callers = new System.Diagnostics.ActivitySource("Playback.Cluster.Tests.Caller");
        var recorded = new System.Collections.Concurrent.ConcurrentBag<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == PlaybackDiagnostics.ActivitySourceName || s == callers,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = recorded.Add,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        System.Diagnostics.ActivityTraceId traceId;
        using (var caller = callers.StartActivity("caller"))
        {
            traceId = caller!.TraceId;
            await elsewhere.Playback.SetVolumeAsync(call, handle.ControlId, -6);
        }

        // The command's activity is on the node it was issued on; the request left from the call's node, with that activity as its parent.
        var volume = Assert.Single(recorded, a => a.OperationName == "playback.volume" && a.TraceId == traceId);
        var arrival = Assert.Single(Emulator.Journal.Arrivals, a => a.Command == "calling.play.volume" && a.ControlId == handle.ControlId);
        output.WriteLine($"issued on {elsewhere.Name}, call on {host.Name}: command {volume.Id}, request's traceparent {arrival.Traceparent}");
        Assert.Equal(volume.Id, arrival.Traceparent);
        await handle.StopAsync();
    }

    [Fact]
    public async Task A_webhook_that_lands_on_a_node_without_the_call_reaches_the_call_actor()
    {
        var call = Emulator.CreateCall();
        var (first, host, elsewhere) = await PlayAndLocateAsync(call);
        await first.StopAsync();

        var received = elsewhere.WebhooksReceived;
        var handle = await host.Playback.PlayAsync(call, Outcomes.Short(), new PlayOptions { StatusUrl = elsewhere.WebhookUrl });

        // The emulator's webhooks for this play go only to `elsewhere`; the play can only finish through them.
        var outcome = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"call hosted on {host.Name}, webhooks sent to {elsewhere.Name}: {outcome.State}");
        Assert.Equal(PlaybackState.Finished, outcome.State);
        Assert.True(elsewhere.WebhooksReceived > received);
        Assert.Same(host, await Cluster.HostOfAsync(call));
    }

    [Fact]
    public async Task A_subscriber_on_another_node_sees_the_call_state_first_then_every_change()
    {
        var call = Emulator.CreateCall();
        var handle = await Nodes[1].Playback.PlayAsync(call, Outcomes.Long(), new PlayOptions { StatusUrl = Nodes[1].WebhookUrl });
        var host = (await Cluster.HostOfAsync(call))!;
        var remote = Nodes.First(n => n != host);
        await Outcomes.Eventually(() => remote.Playback.Snapshot(call).Any(s => s.State == PlaybackState.Playing), "the remote node knows the playback");

        var seen = new List<PlaybackEvent>();
        var all = new List<PlaybackEvent>();
        using var perCall = remote.Playback.EventsFor(call).Subscribe(e => { lock (seen) { seen.Add(e); } });
        using var allCalls = remote.Playback.Events.Subscribe(e => { if (e.CallId == call) { lock (all) { all.Add(e); } } });
        await Outcomes.Eventually(() => { lock (seen) { return seen.Count >= 1; } }, "the current state is replayed");

        var third = Nodes.First(n => n != remote && n != host);
        await host.Playback.PauseAsync(call, handle.ControlId);
        await third.Playback.StopAsync(call, handle.ControlId);
        await Outcomes.Eventually(() => { lock (seen) { return seen.Any(e => e.State == PlaybackState.Stopped); } }, "the stop arrives");

        List<PlaybackState> states;
        lock (seen)
        {
            states = seen.Select(e => e.State).ToList();
        }

        output.WriteLine($"host {host.Name}, subscriber on {remote.Name}: {string.Join(" -> ", states)}");
        Assert.Equal(PlaybackState.Playing, states[0]);
        Assert.Equal([PlaybackState.Playing, PlaybackState.Paused, PlaybackState.Stopped], states.Distinct().ToList());
        await Outcomes.Eventually(() => { lock (all) { return all.Any(e => e.State == PlaybackState.Stopped) && all.Any(e => e.State == PlaybackState.Paused); } }, "the all-calls stream has them too");
        Assert.Empty(remote.Playback.Snapshot(call));
    }

    [Fact]
    public async Task An_idle_call_actor_passivates_and_the_call_is_served_again_afterwards()
    {
        var call = Emulator.CreateCall();
        var first = await Nodes[0].Playback.PlayAsync(call, Outcomes.Short(), new PlayOptions { StatusUrl = Nodes[0].WebhookUrl });
        Assert.Equal(PlaybackState.Finished, (await first.Completion.WaitAsync(TimeSpan.FromSeconds(20))).State);

        // Idle timeout 3 s: the entity asks its shard to passivate it (ShardRegion.Passivate) and stops.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await Cluster.HostOfAsync(call) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the idle call actor passivated");
            await Task.Delay(200);
        }

        var second = await Nodes[2].Playback.PlayAsync(call, Outcomes.Short(), new PlayOptions { StatusUrl = Nodes[1].WebhookUrl });
        Assert.Equal(PlaybackState.Finished, (await second.Completion.WaitAsync(TimeSpan.FromSeconds(20))).State);
    }

    /// <summary>A long play on the call from the first node; the node the call lives on, and another one.</summary>
    private async Task<(PlaybackHandle Handle, ClusterNode Host, ClusterNode Elsewhere)> PlayAndLocateAsync(string call)
    {
        var handle = await Nodes[0].Playback.PlayAsync(call, Outcomes.Long(), new PlayOptions { StatusUrl = Nodes[0].WebhookUrl });
        var host = await Cluster.HostOfAsync(call);
        Assert.NotNull(host);
        return (handle, host, Nodes.First(n => n != host));
    }
}
