using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;

namespace Playback.PersistenceTests;

/// <summary>A restarted service keeps control of its playbacks on SQLite.</summary>
public sealed class SqliteRestartTests : RestartTests
{
    protected override Task<TestStore> NewStoreAsync() => Task.FromResult<TestStore>(new SqliteStore());
}

/// <summary>A restarted service keeps control of its playbacks on PostgreSQL (a throwaway server per class).</summary>
public sealed class PostgresRestartTests(PostgresFixture postgres) : RestartTests, IClassFixture<PostgresFixture>
{
    protected override async Task<TestStore> NewStoreAsync() => new PostgresStore(await postgres.NewDatabaseAsync());
}

/// <summary>A restarted service keeps control of its playbacks: a real store, the emulator over real HTTP.</summary>
public abstract class RestartTests : StoreTestBase
{

    [Fact]
    public async Task A_paused_playback_is_back_after_a_graceful_restart_and_can_be_stopped_by_id()
    {
        var call = Stack.Emulator.CreateCall();
        var first = Stack.Start(Store.Settings);
        await first.Recovery;
        var handle = await first.PlayAsync(call, [Media.Ringtone("us", seconds: 600)]);
        await handle.PauseAsync();
        await Stack.StopAsync(first);

        var second = Stack.Start(Store.Settings);
        await second.Recovery;
        Assert.Equal(1, second.RecoveredCalls);
        var snapshot = Assert.Single(second.Snapshot(call));
        Assert.Equal((handle.ControlId, PlaybackState.Paused), (snapshot.ControlId, snapshot.State));

        var found = await second.FindAsync(call, handle.ControlId);
        Assert.NotNull(found);
        var stopped = await found.StopAsync();
        Assert.Equal(PlaybackState.Stopped, stopped.State);
        Assert.Contains(Stack.Emulator.Journal.Requests, r => r.Command == "calling.play.stop" && r.ControlId == handle.ControlId && r.Status == 200);
        Assert.Null(await second.FindAsync(call, handle.ControlId));

        // A recovered call that ends is deleted like any other.
        await Eventually.AssertAsync(async () => Assert.Equal(0, await Store.ScalarAsync("SELECT COUNT(*) FROM event_journal WHERE NOT is_deleted")));
    }

    [Fact]
    public async Task Three_hundred_calls_are_recovered_and_stopped_all_at_once_leaving_nothing_in_the_store()
    {
        // The benchmark times 10,000 (README, "Surviving restarts"); this checks the same path's outcome on every run.
        const int Calls = 300;
        var calls = Enumerable.Range(0, Calls).Select(_ => Stack.Emulator.CreateCall()).ToArray();
        var first = Stack.Start(Store.Settings);
        await first.Recovery;
        using (var gate = new SemaphoreSlim(64))
        {
            await Task.WhenAll(calls.Select(async call =>
            {
                await gate.WaitAsync();
                try
                {
                    await first.PlayAsync(call, [Media.Ringtone("us", seconds: 600)]);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await Stack.StopAsync(first);

        var second = Stack.Start(Store.Settings);
        await second.Recovery;
        Assert.Equal(Calls, second.RecoveredCalls);
        var stops = await Task.WhenAll(calls.Select(call => second.StopAsync(call, Assert.Single(second.Snapshot(call)).ControlId)));

        Assert.All(stops, stopped => Assert.Equal(PlaybackState.Stopped, stopped.State));
        Assert.Equal(Calls, Stack.Emulator.Journal.Requests.Count(r => r.Command == "calling.play.stop" && r.Status == 200));
        await Eventually.AssertAsync(
            async () => Assert.Equal(0, await Store.ScalarAsync("SELECT COUNT(*) FROM event_journal WHERE NOT is_deleted")),
            TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_call_recovers_from_its_snapshot_and_the_events_after_it()
    {
        var settings = Store.Settings with { SnapshotEvery = 3 };
        var call = Stack.Emulator.CreateCall();
        var first = Stack.Start(settings);
        await first.Recovery;
        var handle = await first.PlayAsync(call, [Media.Ringtone("us", seconds: 600)]);
        for (var i = 1; i <= 7; i++)
        {
            await handle.SetVolumeAsync(i);
        }

        await Eventually.AssertAsync(async () => Assert.True(await Store.ScalarAsync($"SELECT COUNT(*) FROM {Store.SnapshotTable}") >= 1));
        // The snapshot covers the events before it: they are deleted (only the ones after the last snapshot remain).
        await Eventually.AssertAsync(async () => Assert.InRange(await Store.ScalarAsync("SELECT COUNT(*) FROM event_journal WHERE NOT is_deleted"), 1, 3));
        // Written by Playback's own serializer (compact JSON without .NET type names), events and snapshots alike.
        var rows = await Store.RowsAsync($"SELECT serializer_id, payload FROM event_journal UNION ALL SELECT serializer_id, payload FROM {Store.SnapshotTable}");
        Assert.All(rows, row => Assert.StartsWith("4711 {", row, StringComparison.Ordinal));
        Assert.All(rows, row => Assert.DoesNotContain("$type", row, StringComparison.Ordinal));
        await Stack.StopAsync(first);

        var second = Stack.Start(settings);
        await second.Recovery;
        var snapshot = Assert.Single(second.Snapshot(call));
        Assert.Equal((PlaybackState.Playing, 7.0), (snapshot.State, snapshot.Volume));
    }

    [Fact]
    public async Task An_answer_written_behind_is_stored_when_the_system_stops_without_disposing_the_manager()
    {
        // What a host does when its Akka service stops before Playback's: the ActorSystem's coordinated shutdown runs and
        // the manager is never disposed. The pause's answer, held to go with a next change that never comes, is written
        // by Playback's shutdown task while the call actors are still alive: nothing is resent after the restart.
        var call = Stack.Emulator.CreateCall();
        var system = Akka.Actor.ActorSystem.Create("stopped-without-dispose", PlaybackManager.SystemSetup(Akka.Actor.Setup.ActorSystemSetup.Create(Akka.Actor.BootstrapSetup.Create()), Stack.Settings(Store.Settings)));
        var first = PlaybackManager.Create(system, Stack.Settings(Store.Settings));
        await first.Recovery;
        var handle = await first.PlayAsync(call, [Media.Ringtone("us", seconds: 600)]);
        await handle.PauseAsync();
        await system.Terminate();

        var second = Stack.Start(Store.Settings);
        await second.Recovery;
        Assert.Equal((handle.ControlId, PlaybackState.Paused), (Assert.Single(second.Snapshot(call)).ControlId, Assert.Single(second.Snapshot(call)).State));
        await (await second.FindAsync(call, handle.ControlId))!.StopAsync();
        Assert.Single(Stack.Emulator.Journal.Requests, r => r.Command == "calling.play.pause" && r.ControlId == handle.ControlId);
        Assert.Single(Stack.Emulator.Journal.Requests, r => r.Command == "calling.play" && r.ControlId == handle.ControlId);
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Webhooks_that_arrive_after_the_restart_reach_the_recovered_playback()
    {
        var call = Stack.Emulator.CreateCall();
        var first = Stack.Start(Store.Settings);
        await first.Recovery;
        // 40 s of audio at speed 20: it finishes about 2 s after the play, after the restart.
        var handle = await first.PlayAsync(call, [Media.Ringtone("us", seconds: 40)]);
        await Stack.StopAsync(first);

        var second = Stack.Start(Store.Settings);
        var finished = second.EventsFor(call).FirstAsync(e => e.State == PlaybackState.Finished).ToTask();
        await second.Recovery;
        Assert.Equal(PlaybackState.Playing, Assert.Single(second.Snapshot(call)).State);
        var done = await finished.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(handle.ControlId, done.ControlId);
        Assert.Empty(second.Snapshot(call));
    }

    [Fact]
    public async Task A_call_that_hangs_up_or_is_gone_leaves_nothing_live_in_the_store()
    {
        // The call's end stops its actor at once: its recorder (a child) must first store the end and delete the call.
        var first = Stack.Start(Store.Settings);
        await first.Recovery;
        var handles = new List<PlaybackHandle>();
        for (var i = 0; i < 5; i++)
        {
            handles.Add(await first.PlayAsync(Stack.Emulator.CreateCall(), [Media.Ringtone("us", seconds: 600)]));
            await Assert.ThrowsAsync<CallGoneException>(() => first.PlayAsync("no-such-call-" + i, [Media.Ringtone("us", seconds: 600)])); // 404
        }

        foreach (var handle in handles)
        {
            Assert.True(Stack.Emulator.EndCall(handle.CallId));
        }

        foreach (var handle in handles)
        {
            await handle.Completion.WaitAsync(TimeSpan.FromSeconds(30)); // finished, then the call's end
        }

        await Eventually.AssertAsync(
            async () =>
            {
                if (await Store.ScalarAsync("SELECT COUNT(*) FROM event_journal WHERE NOT is_deleted") != 0)
                {
                    Assert.Fail("Rows left: " + string.Join(" | ", await Store.RowsAsync("SELECT * FROM event_journal ORDER BY ordering")));
                }
            });
        await Stack.StopAsync(first);
    }

    [Fact]
    public async Task A_finished_call_leaves_nothing_in_the_store()
    {
        var first = Stack.Start(Store.Settings);
        await first.Recovery;
        for (var i = 0; i < 5; i++)
        {
            var call = Stack.Emulator.CreateCall();
            var handle = await first.PlayAsync(call, [Media.Ringtone("us", seconds: 600)]);
            await handle.StopAsync();
        }

        await Eventually.AssertAsync(
            async () =>
            {
                if (await Store.ScalarAsync("SELECT COUNT(*) FROM event_journal WHERE NOT is_deleted") != 0)
                {
                    Assert.Fail("Rows left: " + string.Join(" | ", await Store.RowsAsync("SELECT * FROM event_journal ORDER BY ordering")));
                }
            });
        Assert.Equal(0, await Store.ScalarAsync("SELECT COUNT(*) FROM " + Store.SnapshotTable));

        // The journal keeps the last (deleted) row of each call; the purge removes those, so finished calls leave 0 bytes.
        // (A stop's own webhook may still add a change after the stop: the store converges to empty.)
        await Eventually.AssertAsync(async () =>
        {
            await first.PurgeStoreAsync();
            Assert.Equal(0, await Store.ScalarAsync("SELECT COUNT(*) FROM event_journal"));
        });
        await Stack.StopAsync(first);

        var second = Stack.Start(Store.Settings);
        await second.Recovery;
        Assert.Equal(0, second.RecoveredCalls);
    }

    [Fact]
    public async Task Persistence_off_recovers_nothing_and_recovery_completes_at_once()
    {
        var manager = Stack.Start(persistence: null);
        Assert.True(manager.Recovery.IsCompletedSuccessfully);
        var call = Stack.Emulator.CreateCall();
        var handle = await manager.PlayAsync(call, [Media.Ringtone("us", seconds: 600)]);
        Assert.NotNull(await manager.FindAsync(call, handle.ControlId));
        Assert.Null(await manager.FindAsync(call, "not-a-playback"));
        Assert.Null(await manager.FindAsync("not-a-call", handle.ControlId));
    }
}
