using System.Diagnostics;

namespace Playback.PersistenceTests;

/// <summary>SQLite: a process killed with SIGKILL.</summary>
public sealed class SqliteKilledProcessTests : KilledProcessTests
{
    protected override Task<TestStore> NewStoreAsync() => Task.FromResult<TestStore>(new SqliteStore());
}

/// <summary>PostgreSQL: a process killed with SIGKILL.</summary>
public sealed class PostgresKilledProcessTests(PostgresFixture postgres) : KilledProcessTests, IClassFixture<PostgresFixture>
{
    protected override async Task<TestStore> NewStoreAsync() => new PostgresStore(await postgres.NewDatabaseAsync());
}

/// <summary>A child process plays and pauses with persistence on, is killed with SIGKILL, and a new process takes over from the same store.</summary>
public abstract class KilledProcessTests : StoreTestBase
{

    private string ConnectionString => Store.Settings.ConnectionString;

    private string Provider => Store.Settings.Provider == PlaybackPersistenceProvider.Sqlite ? "sqlite" : "postgresql";

    [Fact]
    public async Task A_playback_paused_by_a_process_killed_with_SIGKILL_is_stopped_by_id_from_a_new_process()
    {
        var call = Stack.Emulator.CreateCall();
        var controlId = "killed-" + Guid.NewGuid().ToString("N");
        var child = AppContext.BaseDirectory.Replace("Playback.PersistenceTests", "Playback.CrashChild", StringComparison.Ordinal);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(child, "Playback.CrashChild.dll"), Stack.Emulator.BaseUrl.ToString(), Stack.Emulator.ProjectId, Stack.WebhookUrl, ConnectionString, call, controlId, Provider },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["PLAYBACK_TEST_TOKEN"] = Stack.Emulator.ApiToken, ["PLAYBACK_TEST_SIGNING_KEY"] = Stack.Emulator.SigningKey },
        };
        using var process = Process.Start(start)!;
        try
        {
            // Akka's own log lines come first; the child's report is the line that starts with PAUSED.
            string? line;
            do
            {
                line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            while (line is not null && !line.StartsWith("PAUSED", StringComparison.Ordinal));

            Assert.Equal($"PAUSED {controlId}", line);
        }
        finally
        {
            process.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
            await process.WaitForExitAsync();
        }

        Assert.Equal("paused", Stack.Emulator.GetPlay(call, controlId)!.State);
        var manager = Stack.Start(Store.Settings);
        await manager.Recovery;
        // The pause's answer is written behind it: when the kill came first, the pause is recovered as on the wire and sent
        // again (the server answers it as a pause of a paused play), so the playback is Paused once that answer is in.
        await Eventually.AssertAsync(() => Assert.Equal(PlaybackState.Paused, Assert.Single(manager.Snapshot(call)).State));
        var stopped = await manager.StopAsync(call, controlId);
        Assert.Equal(PlaybackState.Stopped, stopped.State);
        Assert.Contains(Stack.Emulator.Journal.Requests, r => r.Command == "calling.play.stop" && r.ControlId == controlId && r.Status == 200);
        Assert.NotEqual("paused", Stack.Emulator.GetPlay(call, controlId)!.State);
    }
}
