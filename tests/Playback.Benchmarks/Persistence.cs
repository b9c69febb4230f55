using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Playback.Emulator;
using Playback.Testing;

namespace Playback.Benchmarks;

/// <summary>
/// Persistence (README, "Surviving restarts"): command latency with the store on (SQLite, PostgreSQL) vs off on the same
/// server, interleaved; recovery time of 10,000 calls; and what a finished call leaves in the store.
/// </summary>
internal static class Persistence
{
    /// <summary>Runs every part; <c>BENCH_STORE=latency|recovery-sqlite|recovery-postgresql</c> (or a comma-separated list) runs those (for a profiler or a repro).</summary>
    public static async Task RunAsync(PlaybackSettings settings, CallingEmulator emulator, int samples, int recoveryCalls, Report report)
    {
        var part = Environment.GetEnvironmentVariable("BENCH_STORE");
        bool Run(string name) => part is null || part.Split(',').Contains(name);
        var dir = Directory.CreateTempSubdirectory("playback-bench-store-").FullName;
        try
        {
            await using var postgres = await PostgresServer.StartAsync("bench");
            if (Run("latency"))
            {
                var sqlite = PlaybackPersistenceSettings.Sqlite($"Data Source={Path.Combine(dir, "latency.db")}");
                var pg = PlaybackPersistenceSettings.PostgreSql(await postgres.CreateDatabaseAsync("latency"));
                await LatencyAsync(settings, samples, ("sqlite", sqlite), ("postgresql", pg), report);
                await RawCommitAsync("sqlite", new SqliteConnection($"Data Source={Path.Combine(dir, "raw.db")}"), "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", "CREATE TABLE raw_commit (id INTEGER PRIMARY KEY, payload BLOB)", report);
                await RawCommitAsync("postgresql", new Npgsql.NpgsqlConnection(await postgres.CreateDatabaseAsync("raw")), null, "CREATE TABLE raw_commit (id SERIAL PRIMARY KEY, payload BYTEA)", report);
            }

            if (Run("recovery-sqlite"))
            {
                await RecoveryAsync("sqlite", PlaybackPersistenceSettings.Sqlite($"Data Source={Path.Combine(dir, "recovery.db")}"), emulator, recoveryCalls, report);
            }

            if (Run("recovery-postgresql"))
            {
                await RecoveryAsync("postgresql", PlaybackPersistenceSettings.PostgreSql(await postgres.CreateDatabaseAsync("recovery")), emulator, recoveryCalls, report);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task LatencyAsync(PlaybackSettings settings, int samples, (string Name, PlaybackPersistenceSettings Store) first, (string Name, PlaybackPersistenceSettings Store) second, Report report)
    {
        var managers = new[] { PlaybackManager.Create(settings), PlaybackManager.Create(settings with { Persistence = first.Store }), PlaybackManager.Create(settings with { Persistence = second.Store }) };
        try
        {
            var handles = new List<PlaybackHandle>();
            foreach (var manager in managers)
            {
                await manager.Recovery;
                handles.Add(await manager.PlayAsync("call-persist-" + handles.Count, [Media.Ringtone("us")]));
            }

            // Warm all three until the JIT has tiered them up (a few seconds of a fresh process), as the latency part does.
            var warm = Stopwatch.StartNew();
            for (var i = 0; i < 200 || warm.Elapsed < TimeSpan.FromSeconds(5); i++)
            {
                foreach (var handle in handles)
                {
                    await handle.SetVolumeAsync(i % 40);
                }
            }

            // BENCH_PROFILE_SECONDS=N: only the first store's commands, for N seconds, for a profiler to attach to.
            if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_PROFILE_SECONDS"), out var seconds))
            {
                Console.WriteLine($"profiling {first.Name} commands for {seconds} s in process {Environment.ProcessId}");
                var until = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
                for (var i = 0; Stopwatch.GetTimestamp() < until; i++)
                {
                    await handles[1].SetVolumeAsync(i % 40);
                }
            }

            var times = handles.Select(_ => new List<double>(samples)).ToArray();
            for (var block = 0; block < samples; block += 100)
            {
                for (var m = 0; m < handles.Count; m++)
                {
                    for (var i = block; i < block + 100; i++)
                    {
                        var t = Stopwatch.GetTimestamp();
                        await handles[m].SetVolumeAsync(i % 40);
                        times[m].Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
                    }
                }
            }

            var off = Latency.Of(times[0]);
            foreach (var (name, latency) in new[] { (first.Name, Latency.Of(times[1])), (second.Name, Latency.Of(times[2])) })
            {
                report.Note(FormattableString.Invariant($"persistence p50 ratio ({name}): {latency.P50 / off.P50:0.00}   (off {off.P50:0} µs, {name} {latency.P50:0} µs; p99 {off.P99:0} / {latency.P99:0} µs)"));
            }
        }
        finally
        {
            foreach (var manager in managers)
            {
                await manager.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// What the database itself costs: one small row inserted and committed per round, on one open connection, with the
    /// journal's durability (SQLite: WAL, synchronous = NORMAL; PostgreSQL: its defaults). The store cannot be faster than this.
    /// </summary>
    private static async Task RawCommitAsync(string name, System.Data.Common.DbConnection connection, string? setup, string create, Report report)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            foreach (var sql in new[] { setup, create }.OfType<string>())
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync();
            }

            var payload = new byte[400];
            var times = new List<double>(300);
            for (var i = 0; i < 300; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await using (var transaction = await connection.BeginTransactionAsync())
                {
                    await using var insert = connection.CreateCommand();
                    insert.Transaction = transaction;
                    insert.CommandText = "INSERT INTO raw_commit (payload) VALUES (@p)";
                    var parameter = insert.CreateParameter();
                    parameter.ParameterName = "@p";
                    parameter.Value = payload;
                    insert.Parameters.Add(parameter);
                    await insert.ExecuteNonQueryAsync();
                    await transaction.CommitAsync();
                }

                times.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            }

            var latency = Latency.Of(times.Skip(50).ToList());
            report.Note(FormattableString.Invariant($"raw commit ({name}): p50 {latency.P50:0} µs, p99 {latency.P99:0} µs   (one row per transaction, the driver alone: the floor under any store)"));
        }
    }

    /// <summary>
    /// Plays on many calls of the emulator over HTTP with the store on, restarts, and times <see cref="PlaybackManager.Recovery"/>;
    /// then stops them all at once (each stop reaches the emulator) and measures what is left in the store.
    /// </summary>
    private static async Task RecoveryAsync(string name, PlaybackPersistenceSettings store, CallingEmulator emulator, int calls, Report report)
    {
        var settings = new PlaybackSettings
        {
            ProjectId = emulator.Options.ProjectId, ApiToken = emulator.Options.ApiToken, BaseUrl = emulator.BaseUrl,
            AllowUntrackedPlays = true, AskTimeout = TimeSpan.FromMinutes(5), Persistence = store,
            Resilience = new ResilienceSettings { RateLimit = 0, CommandDeadline = TimeSpan.FromMinutes(4) },
        };
        var callIds = Enumerable.Range(0, calls).Select(_ => emulator.CreateCall()).ToArray();
        var stopsBefore = emulator.Journal.Requests.Count(r => r.Command == "calling.play.stop" && r.Status is >= 200 and < 300);
        using (var system = Akka.Actor.ActorSystem.Create("recovery-a", SystemSetup(settings)))
        {
            await using var before = PlaybackManager.Create(system, settings);
            await before.Recovery;
            using var gate = new SemaphoreSlim(256);
            await Task.WhenAll(Enumerable.Range(0, calls).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    await before.PlayAsync(callIds[i], [Media.Ringtone("us")]);
                }
                finally
                {
                    gate.Release();
                }
            }));
            await system.Terminate();
        }

        Console.WriteLine($"recovering {calls:N0} calls ({name}) in process {Environment.ProcessId}");
        using var after = Akka.Actor.ActorSystem.Create("recovery-b", SystemSetup(settings));
        var sw = Stopwatch.StartNew();
        await using var manager = PlaybackManager.Create(after, settings);
        await manager.Recovery;
        var elapsed = sw.Elapsed;
        report.Note(FormattableString.Invariant($"recovery of {calls:N0} calls ({name}): {elapsed.TotalSeconds:0.0} s, {manager.RecoveredCalls:N0} recovered ({calls / elapsed.TotalSeconds:N0} calls/s)"));

        // All at once: a burst of 10,000 commands (each waits for its write-ahead; the journal commits them in groups).
        var refused = 0;
        using var stops = new SemaphoreSlim(calls);
        await Task.WhenAll(Enumerable.Range(0, calls).Select(async i =>
        {
            await stops.WaitAsync();
            try
            {
                await manager.StopAsync(callIds[i], FindControlId(manager, callIds[i]));
            }
            catch (PlaybackStoreException)
            {
                Interlocked.Increment(ref refused);
            }
            finally
            {
                stops.Release();
            }
        }));
        var reached = emulator.Journal.Requests.Count(r => r.Command == "calling.play.stop" && r.Status is >= 200 and < 300) - stopsBefore;
        report.Note(FormattableString.Invariant($"stops at once after recovery ({name}): {calls - refused:N0} answered, {refused:N0} refused by the store, {reached:N0} reached the emulator"));

        // The deletes are asynchronous: wait (up to 2 min) until the store stops shrinking, then purge and measure.
        var left = await manager.Store!.BytesLeftAsync();
        for (var i = 0; i < 120 && left.Rows > 0; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            try
            {
                await manager.PurgeStoreAsync();
            }
            catch (PlaybackStoreException e)
            {
                report.Note($"purge failed ({name}): {e.Message}");
            }

            left = await manager.Store!.BytesLeftAsync();
        }

        report.Note(FormattableString.Invariant($"store left after {calls:N0} finished calls ({name}): {left.Rows} rows, {left.Bytes} bytes ({(double)left.Bytes / calls:0.0} bytes per finished call)"));
    }

    /// <summary>What <c>PlaybackManager.Create(settings)</c> gives its own system (SQLite: the journal's connection setup).</summary>
    private static Akka.Actor.Setup.ActorSystemSetup SystemSetup(PlaybackSettings settings) =>
        PlaybackManager.SystemSetup(Akka.Actor.Setup.ActorSystemSetup.Create(Akka.Actor.BootstrapSetup.Create().WithConfig(Akka.Configuration.ConfigurationFactory.ParseString(Environment.GetEnvironmentVariable("BENCH_AKKA_LOG") ?? "akka.loglevel = ERROR"))), settings);

    private static string FindControlId(PlaybackManager manager, string callId) => manager.Snapshot(callId).Single().ControlId;
}
