namespace Playback.PersistenceTests;

/// <summary>The store at its edges: the serializer, SQLite's locks and durability, bursts, and a store that cannot be opened.</summary>
public sealed class StoreTests : IAsyncLifetime
{
    private readonly SqliteStore _store = new();
    private PersistenceStack _stack = null!;

    public async Task InitializeAsync() => _stack = await PersistenceStack.StartAsync();

    public async Task DisposeAsync()
    {
        await _stack.DisposeAsync();
        await _store.DisposeAsync();
    }

    [Fact]
    public async Task Calls_ending_together_send_the_journal_no_empty_writes_and_leave_its_breaker_closed()
    {
        // Akka.Persistence.Sql fails a write batch with no events in it ("Sequence contains no elements"), and each such
        // failure counts against the journal's breaker: a recorder that deferred its prune behind the stop's answer sent
        // one per ended call, and a burst of ended calls opened the breaker.
        var emptyWrites = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (e.Exception is InvalidOperationException && Environment.StackTrace.Contains("SqlWriteJournal.WriteMessagesAsync", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref emptyWrites);
            }
        }

        var manager = _stack.Start(_store.Settings);
        await manager.Recovery;
        var handles = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => manager.PlayAsync(_stack.Emulator.CreateCall(), [Media.Ringtone("us", seconds: 600)])));
        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            await Task.WhenAll(handles.Select(h => h.StopAsync()));
            await Eventually.AssertAsync(async () => Assert.Equal(0, await _store.ScalarAsync("SELECT COUNT(*) FROM event_journal WHERE NOT is_deleted")));
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Equal(0, Volatile.Read(ref emptyWrites));
        var next = await manager.PlayAsync(_stack.Emulator.CreateCall(), [Media.Ringtone("us", seconds: 600)]);
        Assert.Equal(PlaybackState.Playing, next.Current);
    }

    [Fact]
    public async Task Recovery_reads_sqlite_while_another_connection_holds_the_write_lock()
    {
        var call = _stack.Emulator.CreateCall();
        var first = _stack.Start(_store.Settings);
        await first.Recovery;
        var played = await first.PlayAsync(call, [Media.Ringtone("us", seconds: 600)]);
        await _stack.StopAsync(first);

        // Reads run in deferred transactions: in WAL mode they never wait for a writer. Before, every read began with
        // BEGIN IMMEDIATE (the one write lock) and waited here until the driver gave up.
        await using var writer = new Microsoft.Data.Sqlite.SqliteConnection(_store.Settings.ConnectionString);
        await writer.OpenAsync();
        await using (var begin = writer.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync();
        }

        var second = _stack.Start(_store.Settings);
        await second.Recovery.WaitAsync(TimeSpan.FromSeconds(20)); // bounds the wait; the lock is still held here
        Assert.Equal(played.ControlId, Assert.Single(second.Snapshot(call)).ControlId);

        await using var rollback = writer.CreateCommand();
        rollback.CommandText = "ROLLBACK;";
        await rollback.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_corrupt_sqlite_file_fails_recovery_with_a_clear_error_naming_the_store()
    {
        await File.WriteAllBytesAsync(_store.File, System.Text.Encoding.ASCII.GetBytes(new string('x', 8192)));
        var manager = _stack.Start(_store.Settings);
        var error = await Assert.ThrowsAsync<PlaybackStoreException>(() => manager.Recovery.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Sqlite", error.Message, StringComparison.Ordinal);
        Assert.Contains("could not be opened", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PlaybackStoreException>(() => manager.FindAsync("call", "control"));
    }

    [Fact]
    public async Task Commands_for_a_call_whose_store_cannot_be_read_each_fail_at_once_while_its_actors_stop_and_start_again()
    {
        // The store's file is fine (recovery lists it), but every read of a call's journal fails at once.
        var system = Akka.Actor.ActorSystem.Create("unreadable", $"""
            akka.loglevel = OFF
            {PlaybackStore.JournalId}.class = "{typeof(UnreadableJournal).AssemblyQualifiedName}"
            """);
        await using var manager = PlaybackManager.Create(system, _stack.Settings(_store.Settings));
        await manager.Recovery.WaitAsync(TimeSpan.FromSeconds(30));

        // Each command starts the call's actor, whose read fails, and which then stops; commands keep coming meanwhile,
        // some told straight to the stopping actor. Every one must fail with the store's error: none may be lost with
        // the actor (that would show as a timeout after AskTimeout, 30 s).
        var commands = new List<Task>();
        for (var i = 0; i < 2000; i++)
        {
            commands.Add(manager.PauseAsync("call-" + (i % 4), "control"));
            if (i % 20 == 19)
            {
                await Task.Yield();
            }
        }

        foreach (var command in commands)
        {
            var error = await Assert.ThrowsAsync<PlaybackStoreException>(() => command.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains("could not be read from the playback store", error.Message, StringComparison.Ordinal);
        }

        await system.Terminate();
    }

    [Fact]
    public async Task An_unreachable_postgresql_fails_recovery_with_a_clear_error_and_no_password()
    {
        using var socket = Loopback.BindSocket();
        var port = ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
        socket.Dispose();
        var manager = _stack.Start(PlaybackPersistenceSettings.PostgreSql($"Host=127.0.0.1;Port={port};Username=playback;Password=s3cret-pw;Timeout=5"));
        var error = await Assert.ThrowsAsync<PlaybackStoreException>(() => manager.Recovery.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("PostgreSql", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_journal_opens_sqlite_connections_with_synchronous_normal_and_leaves_postgresql_as_it_is()
    {
        // Keyed by the store's plugin ids: another Akka.Persistence.Sql plugin in the same system keeps its own options.
        var setup = Assert.IsType<Akka.Persistence.Sql.Config.MultiDataOptionsSetup>(SqliteDurability.SetupFor(_store.Settings));
        Assert.True(setup.TryGetDataOptionsFor(PlaybackStore.JournalId, out _));
        Assert.True(setup.TryGetDataOptionsFor(PlaybackStore.SnapshotStoreId, out _));
        Assert.False(setup.TryGetDataOptionsFor("akka.persistence.journal.sql", out _));
        Assert.Null(SqliteDurability.SetupFor(PlaybackPersistenceSettings.PostgreSql("Host=127.0.0.1")));
        Assert.Null(SqliteDurability.SetupFor(null));

        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(_store.Settings.ConnectionString);
        await connection.OpenAsync();
        await new SqliteDurability().ConnectionOpenedAsync(default, connection, CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous;";
        Assert.Equal(1L, await command.ExecuteScalarAsync()); // NORMAL (SQLite's default is FULL, 2)
        command.CommandText = "PRAGMA busy_timeout;";
        Assert.Equal(30000L, await command.ExecuteScalarAsync()); // waits for the write lock inside SQLite, not in 150 ms sleeps
    }
}
