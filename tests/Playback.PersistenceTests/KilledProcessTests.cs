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
public abstract class KilledProcessTests : IAsyncLifetime
{
    private TestStore _store = null!;
    private PersistenceStack _stack = null!;

    private string ConnectionString => _store.Settings.ConnectionString;

    private string Provider => _store.Settings.Provider == PlaybackPersistenceProvider.Sqlite ? "sqlite" : "postgresql";

    public async Task InitializeAsync()
    {
        _store = await NewStoreAsync();
        _stack = await PersistenceStack.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _stack.DisposeAsync();
        await _store.DisposeAsync();
    }

    protected abstract Task<TestStore> NewStoreAsync();

    [Fact]
    public async Task A_playback_paused_by_a_process_killed_with_SIGKILL_is_stopped_by_id_from_a_new_process()
    {
        var call = _stack.Emulator.CreateCall();
        var controlId = "killed-" + Guid.NewGuid().ToString("N");
        var child = AppContext.BaseDirectory.Replace("Playback.PersistenceTests", "Playback.CrashChild", StringComparison.Ordinal);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(child, "Playback.CrashChild.dll"), _stack.Emulator.BaseUrl.ToString(), _stack.Emulator.ProjectId, _stack.WebhookUrl, ConnectionString, call, controlId, Provider },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["PLAYBACK_TEST_TOKEN"] = _stack.Emulator.ApiToken, ["PLAYBACK_TEST_SIGNING_KEY"] = _stack.Emulator.SigningKey },
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

        Assert.Equal("paused", _stack.Emulator.GetPlay(call, controlId)!.State);
        var manager = _stack.Start(_store.Settings);
        await manager.Recovery;
        Assert.Equal(PlaybackState.Paused, Assert.Single(manager.Snapshot(call)).State);
        var stopped = await manager.StopAsync(call, controlId);
        Assert.Equal(PlaybackState.Stopped, stopped.State);
        Assert.Contains(_stack.Emulator.Journal.Requests, r => r.Command == "calling.play.stop" && r.ControlId == controlId && r.Status == 200);
        Assert.NotEqual("paused", _stack.Emulator.GetPlay(call, controlId)!.State);
    }
}
