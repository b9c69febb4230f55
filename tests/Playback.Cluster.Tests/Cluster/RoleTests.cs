using Xunit.Abstractions;

namespace Playback.Cluster.Tests;

/// <summary>Only nodes with the calls role host call actors; the others send through a shard region proxy.</summary>
public sealed class RoleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_without_the_calls_role_plays_through_a_proxy_and_sees_the_events()
    {
        await using var cluster = await LoopbackCluster.StartAsync(2, callsRole: "calls", withRole: "a");
        var (withRole, withoutRole) = (cluster.Nodes[0], cluster.Nodes[1]);
        var calls = Enumerable.Range(0, 6).Select(_ => cluster.Emulator.CreateCall()).ToList();

        var handles = await Task.WhenAll(calls.Select(c => withoutRole.Playback.PlayAsync(c, Outcomes.Long(), new PlayOptions { StatusUrl = withoutRole.WebhookUrl })));
        foreach (var handle in handles)
        {
            Assert.Same(withRole, await cluster.HostOfAsync(handle.CallId));
            await Outcomes.Eventually(() => withoutRole.Playback.Snapshot(handle.CallId).Any(s => s.State == PlaybackState.Playing), "the proxy node sees the events");
            Assert.Equal(PlaybackState.Paused, (await withoutRole.Playback.PauseAsync(handle.CallId, handle.ControlId)).State);
            Assert.Equal(PlaybackState.Stopped, (await withoutRole.Playback.StopAsync(handle.CallId, handle.ControlId)).State);
        }

        output.WriteLine($"{handles.Length} calls played, paused and stopped from the node without the role; all hosted on {withRole.Name}");
    }
}
