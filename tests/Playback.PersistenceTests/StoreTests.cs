using Akka.Actor;

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
        // BEGIN IMMEDIATE (the one write lock) and waited here until the driver gave up. The emulator's webhooks are kept
        // out meanwhile: a webhook is written before it is applied, and its write, like a command's, waits for the lock
        // (the call's recovery answering after it).
        _stack.Deaf = true;
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
        _stack.Deaf = false;

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
    public async Task A_webhook_is_answered_only_once_its_change_is_written()
    {
        // SignalWire never sends again a webhook that got its 2xx: answered before its change is written, a crash in
        // between would recover the playback as it was before (a finished one as playing).
        await using var call = await GatedCallAsync("g");
        GatedJournal.Close();

        var webhook = call.FinishedAsync();
        await GatedJournal.Arrived.WaitAsync(TimeSpan.FromSeconds(10));

        // The change is at the store's door: nothing of it has been answered or published yet.
        Assert.False(webhook.IsCompleted);
        Assert.False(call.Handle.Completion.IsCompleted);
        GatedJournal.Open();
        Assert.Equal(WebhookStatus.Accepted, (await webhook.WaitAsync(TimeSpan.FromSeconds(10))).Status);
        Assert.Equal(PlaybackState.Finished, (await call.Handle.Completion.WaitAsync(TimeSpan.FromSeconds(10))).State);
    }

    [Fact]
    public async Task A_webhook_whose_change_cannot_be_written_is_answered_unavailable_and_its_next_delivery_is_written()
    {
        await using var call = await GatedCallAsync("f");
        GatedJournal.FailWrites = true;

        // The store is down: the change is applied (it happened), but the webhook is not answered as taken, so that
        // SignalWire sends it again (the endpoint answers 503).
        var first = await call.FinishedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((WebhookStatus.Rejected, WebhookRejection.Unavailable), (first.Status, first.Rejection));
        Assert.Equal(PlaybackState.Finished, (await call.Handle.Completion.WaitAsync(TimeSpan.FromSeconds(10))).State);

        GatedJournal.FailWrites = false;
        GatedJournal.Close();
        var again = call.FinishedAsync();
        await GatedJournal.Arrived.WaitAsync(TimeSpan.FromSeconds(10)); // the delivery again writes the call's whole state
        Assert.False(again.IsCompleted);
        GatedJournal.Open();
        Assert.Equal(WebhookStatus.Accepted, (await again.WaitAsync(TimeSpan.FromSeconds(10))).Status);
    }

    [Fact]
    public async Task A_prune_whose_snapshot_delete_fails_is_tried_again()
    {
        FailingSnapshotStore.FailPrunes = 1;
        var system = ActorSystem.Create("snapshots", $"""
            akka.loglevel = OFF
            {PlaybackStore.JournalId}.class = "{typeof(GatedJournal).AssemblyQualifiedName}"
            {PlaybackStore.SnapshotStoreId}.class = "{typeof(FailingSnapshotStore).AssemblyQualifiedName}"
            """);
        try
        {
            var api = new HeldPlayApi();
            api.Answer.SetResult();
            await using var manager = PlaybackManager.Create(system, _stack.Settings(_store.Settings with { SnapshotEvery = 1 }), api);
            await manager.Recovery.WaitAsync(TimeSpan.FromSeconds(30));
            var handle = await manager.PlayAsync("call-s", [Media.Ringtone("us", seconds: 600)], new PlayOptions { ControlId = "s" });
            await Eventually.AssertAsync(() => Assert.True(FailingSnapshotStore.Count > 0)); // the live call's snapshot

            await handle.StopAsync(); // idle: its prune deletes the snapshot, and that delete fails once

            await Eventually.AssertAsync(() => Assert.Equal(1, FailingSnapshotStore.Failed));
            await Eventually.AssertAsync(() => Assert.Equal(0, FailingSnapshotStore.Count), TimeSpan.FromSeconds(30)); // tried again 2–12 s later
        }
        finally
        {
            FailingSnapshotStore.FailPrunes = 0;
            await system.Terminate();
        }
    }

    /// <summary>A manager on an ActorSystem whose journal is a <see cref="GatedJournal"/>, with a play accepted on call <c>call-{id}</c>.</summary>
    private async Task<GatedCall> GatedCallAsync(string controlId)
    {
        var system = ActorSystem.Create("gated", $"""
            akka.loglevel = OFF
            {PlaybackStore.JournalId}.class = "{typeof(GatedJournal).AssemblyQualifiedName}"
            """);
        var api = new HeldPlayApi();
        api.Answer.SetResult(); // plays are accepted at once
        var manager = PlaybackManager.Create(system, _stack.Settings(_store.Settings), api);
        await manager.Recovery.WaitAsync(TimeSpan.FromSeconds(30));
        var handle = await manager.PlayAsync("call-" + controlId, [Media.Ringtone("us", seconds: 600)], new PlayOptions { ControlId = controlId });
        return new GatedCall(system, manager, handle, _stack.WebhookUrl, _stack.Emulator.SigningKey);
    }

    private sealed record GatedCall(ActorSystem System, PlaybackManager Manager, PlaybackHandle Handle, string Url, string SigningKey) : IAsyncDisposable
    {
        /// <summary>Delivers a signed <c>finished</c> webhook for the call's play.</summary>
        public Task<WebhookResult> FinishedAsync()
        {
            var body = global::System.Text.Encoding.UTF8.GetBytes($$$"""{"event_type":"calling.call.play","timestamp":4102444800,"params":{"call_id":"{{{Handle.CallId}}}","control_id":"{{{Handle.ControlId}}}","state":"finished"}}""");
            KeyValuePair<string, string>[] headers = [new(WebhookSignature.Sha256Header, WebhookSignature.ComputeSha256(SigningKey, Url, body))];
            return Manager.HandleWebhookAsync(Url, headers, body);
        }

        public async ValueTask DisposeAsync()
        {
            GatedJournal.FailWrites = false;
            GatedJournal.Open();
            await Manager.DisposeAsync();
            await System.Terminate();
        }
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

    /// <summary>
    /// The call registry fails and restarts (a bug; simulated with a malformed internal message) while a play is on the
    /// wire: the call's next actor recovers that play from the store as in flight. It is the very request its predecessor
    /// left on the wire, so the new actor takes that request's outcome instead of sending the play a second time.
    /// </summary>
    [Fact]
    public async Task After_a_registry_restart_the_play_recovered_as_in_flight_takes_the_outcome_of_the_one_on_the_wire_instead_of_going_out_again()
    {
        var (api, manager) = await RestartRegistryWithPlayOnTheWireAsync("call-r");
        var pause = manager.PauseAsync("call-r", "p"); // starts the call's next actor, which recovers the play as in flight
        Assert.NotNull(await manager.FindAsync("call-r", "p").WaitAsync(TimeSpan.FromSeconds(10)));

        api.Answer.SetResult(); // the play on the wire is accepted
        Assert.Equal(PlaybackState.Paused, (await pause.WaitAsync(TimeSpan.FromSeconds(10))).State);
        Assert.Equal(1, api.Plays);
    }

    /// <summary>
    /// As above, but the play on the wire is accepted before anything starts the call's next actor: its outcome is kept for
    /// that actor, which takes it instead of sending the play again (a second play of the same control id).
    /// </summary>
    [Fact]
    public async Task After_a_registry_restart_a_play_answered_before_the_call_s_next_actor_started_is_not_sent_again()
    {
        var (api, manager) = await RestartRegistryWithPlayOnTheWireAsync("call-a");
        api.Answer.SetResult(); // accepted while the call has no actor
        await Task.Delay(TimeSpan.FromMilliseconds(300)); // the call's next message comes a while later
        var paused = await manager.PauseAsync("call-a", "p").WaitAsync(TimeSpan.FromSeconds(10)); // starts the next actor

        Assert.Equal(PlaybackState.Paused, paused.State);
        Assert.Equal(1, api.Plays);
    }

    /// <summary>
    /// The call registry restarts (a bug; simulated) after the store's calls were listed: the listing does not come again,
    /// so the restarted registry must not wait for it. The calls whose actors the restart stopped are recovered from the
    /// store by their next message, a webhook too: the play's <c>finished</c> webhook ends it, instead of waiting forever.
    /// </summary>
    [Fact]
    public async Task After_a_registry_restart_a_webhook_for_a_call_it_had_recovers_the_call_from_the_store_and_is_applied()
    {
        var api = new HeldPlayApi();
        api.Answer.SetResult(); // plays are accepted at once
        var manager = _stack.Start(_store.Settings, api);
        await manager.Recovery;
        var handle = await manager.PlayAsync("call-w", [Media.Ringtone("us", seconds: 600)], new PlayOptions { ControlId = "p" });

        manager.CallRegistryActor.Tell(new QueuedMessage(new PausePlay("call-w", "p"), null!), ActorRefs.NoSender); // the registry throws and restarts
        await Eventually.AssertAsync(async () => Assert.Empty((await manager.CallRegistryActor.Ask<CallList>(ListCalls.Instance, TimeSpan.FromSeconds(5))).CallIds)); // restarted: no call has an actor
        var url = _stack.WebhookUrl;
        var body = System.Text.Encoding.UTF8.GetBytes("""{"event_type":"calling.call.play","timestamp":4102444800,"params":{"call_id":"call-w","control_id":"p","state":"finished"}}""");
        KeyValuePair<string, string>[] headers = [new(WebhookSignature.Sha256Header, WebhookSignature.ComputeSha256(_stack.Emulator.SigningKey, url, body))];
        var result = await manager.HandleWebhookAsync(url, headers, body).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((WebhookStatus.Accepted, null), (result.Status, result.Reason));
        Assert.Equal(PlaybackState.Finished, (await handle.Completion.WaitAsync(TimeSpan.FromSeconds(10))).State);
    }

    /// <summary>
    /// A crash left a play on the wire: the next process recovers it and sends it again (an earlier attempt may have
    /// landed). Its registry then restarts while that second attempt is out, and the call's next actor takes the attempt's
    /// outcome. A certain refusal of it (422: the first attempt, which did land, holds the control id) still only says that
    /// this attempt was refused: the play may be playing, so a stop is sent to settle it.
    /// </summary>
    [Fact]
    public async Task A_resent_play_taken_over_after_a_registry_restart_and_then_refused_is_still_settled_with_a_stop()
    {
        var crashed = new HeldPlayApi();
        var first = _stack.Start(_store.Settings, crashed);
        await first.Recovery;
        _ = first.PlayAsync("call-s", [Media.Ringtone("us", seconds: 600)], new PlayOptions { ControlId = "p" });
        await crashed.PlaySent.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _stack.StopAsync(first); // the play stays in flight in the store

        var api = new HeldPlayApi();
        var second = _stack.Start(_store.Settings, api);
        await second.Recovery;
        await api.PlaySent.Task.WaitAsync(TimeSpan.FromSeconds(10)); // sent again, and held
        second.CallRegistryActor.Tell(new QueuedMessage(new PausePlay("call-s", "p"), null!), ActorRefs.NoSender); // the registry throws and restarts
        await Eventually.AssertAsync(async () => Assert.Empty((await second.CallRegistryActor.Ask<CallList>(ListCalls.Instance, TimeSpan.FromSeconds(5))).CallIds));
        Assert.NotNull(await second.FindAsync("call-s", "p").WaitAsync(TimeSpan.FromSeconds(10))); // the next actor took the attempt over

        api.Answer.SetException(new CallingApiException(CallingApi.Commands.Play, "call-s", "p", 422, "control_id is in use", null, null, isTransient: false));
        await Eventually.AssertAsync(() => Assert.Equal(1, api.Stops));
        Assert.Equal(1, api.Plays);
    }

    /// <summary>A manager on the store whose play "p" on <paramref name="callId"/> is held on the wire when its call registry throws and restarts (the play's caller hears that its actor stopped).</summary>
    private async Task<(HeldPlayApi Api, PlaybackManager Manager)> RestartRegistryWithPlayOnTheWireAsync(string callId)
    {
        var api = new HeldPlayApi();
        var manager = _stack.Start(_store.Settings, api);
        await manager.Recovery;
        var play = manager.PlayAsync(callId, [Media.Ringtone("us", seconds: 600)], new PlayOptions { ControlId = "p" });
        await api.PlaySent.Task.WaitAsync(TimeSpan.FromSeconds(10));
        manager.CallRegistryActor.Tell(new QueuedMessage(new PausePlay(callId, "p"), null!), ActorRefs.NoSender); // a malformed internal message: the registry throws
        await Assert.ThrowsAsync<PlaybackShutdownException>(() => play.WaitAsync(TimeSpan.FromSeconds(10)));
        return (api, manager);
    }

    /// <summary>Holds every play on the wire until <see cref="Answer"/> completes, counting them; the rest succeed at once.</summary>
    private sealed class HeldPlayApi : ICallingApi
    {
        private int _plays;
        private int _stops;

        public TaskCompletionSource PlaySent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Plays => Volatile.Read(ref _plays);

        public Task PlayAsync(string callId, string controlId, IReadOnlyList<MediaItem> media, PlayOptions options, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _plays);
            PlaySent.TrySetResult();
            return Answer.Task;
        }

        public Task PauseAsync(string callId, string controlId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ResumeAsync(string callId, string controlId, CancellationToken cancellationToken) => Task.CompletedTask;

        public int Stops => Volatile.Read(ref _stops);

        public Task StopAsync(string callId, string controlId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _stops);
            return Task.CompletedTask;
        }

        public Task SetVolumeAsync(string callId, string controlId, double volume, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
