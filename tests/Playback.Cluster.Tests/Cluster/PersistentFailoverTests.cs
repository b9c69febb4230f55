using Xunit.Abstractions;

namespace Playback.Cluster.Tests;

/// <summary>
/// With persistence on, a call whose node crashed comes back on a survivor from the store every node shares: its
/// playbacks intact, including a queued play whose media the events never carried (without a store it is failed).
/// </summary>
public sealed class PersistentFailoverTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("playback-cluster-store-").FullName;

    [Fact]
    public async Task A_crashed_nodes_calls_recover_on_a_survivor_with_their_queued_plays()
    {
        var store = PlaybackPersistenceSettings.Sqlite($"Data Source={Path.Combine(_dir, "calls.db")}");
        await using var cluster = await LoopbackCluster.StartWithStoreAsync(3, "c", store);
        var (a, b, c) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var onC = await cluster.CallsHostedOnAsync(await cluster.PlayOnManyCallsAsync(12, a), c);
        Assert.NotEmpty(onC);
        var queued = new List<PlaybackHandle>();
        foreach (var handle in onC)
        {
            queued.Add(await a.Playback.PlayAsync(handle.CallId, [Media.Ringtone("uk", seconds: 600)], new PlayOptions { StatusUrl = a.WebhookUrl }));
        }

        Assert.All(queued, q => Assert.Equal(PlaybackState.Queued, q.Current));
        await c.System.Terminate();
        await cluster.WaitForUpAsync(2);

        // Stopping the first play starts the queued one on the survivor: its media came from the store.
        foreach (var (first, next) in onC.Zip(queued))
        {
            var stopped = await b.Playback.StopAsync(first.CallId, first.ControlId);
            Assert.Equal(PlaybackState.Stopped, stopped.State);
            await Eventually.AssertAsync(() => Assert.Equal("playing", cluster.Emulator.GetPlay(next.CallId, next.ControlId)?.State));
        }

        output.WriteLine($"{onC.Count} calls recovered from the store after their node crashed");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
