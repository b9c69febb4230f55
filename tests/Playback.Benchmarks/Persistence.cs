using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Playback.Testing;

namespace Playback.Benchmarks;

/// <summary>
/// Persistence (README, "Surviving restarts"): command latency with the store on (SQLite, PostgreSQL) vs off on the same
/// server, interleaved; recovery time of 10,000 calls; and what a finished call leaves in the store.
/// </summary>
internal static class Persistence
{
    public static async Task RunAsync(PlaybackSettings settings, int samples, int recoveryCalls, Report report)
    {
        var dir = Directory.CreateTempSubdirectory("playback-bench-store-").FullName;
        try
        {
            await using var postgres = await PostgresServer.StartAsync("bench");
            var sqlite = PlaybackPersistenceSettings.Sqlite($"Data Source={Path.Combine(dir, "latency.db")}");
            var pg = PlaybackPersistenceSettings.PostgreSql(await postgres.CreateDatabaseAsync("latency"));
            await LatencyAsync(settings, samples, ("sqlite", sqlite), ("postgresql", pg), report);
            await RawCommitAsync("sqlite", new SqliteConnection($"Data Source={Path.Combine(dir, "raw.db")}"), "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", "CREATE TABLE raw_commit (id INTEGER PRIMARY KEY, payload BLOB)", report);
            await RawCommitAsync("postgresql", new Npgsql.NpgsqlConnection(await postgres.CreateDatabaseAsync("raw")), null, "CREATE TABLE raw_commit (id SERIAL PRIMARY KEY, payload BYTEA)", report);
            await RecoveryAsync("sqlite", PlaybackPersistenceSettings.Sqlite($"Data Source={Path.Combine(dir, "recovery.db")}"), recoveryCalls, report);
            await RecoveryAsync("postgresql", PlaybackPersistenceSettings.PostgreSql(await postgres.CreateDatabaseAsync("recovery")), recoveryCalls, report);
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

            for (var i = 0; i < 200; i++)
            {
                foreach (var handle in handles)
                {
                    await handle.SetVolumeAsync(i % 40);
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

    /// <summary>Plays on many calls with the store on (a server that answers at once), restarts, and times <see cref="PlaybackManager.Recovery"/>; then stops them all and measures what is left.</summary>
    private static async Task RecoveryAsync(string name, PlaybackPersistenceSettings store, int calls, Report report)
    {
        var settings = new PlaybackSettings { AllowUntrackedPlays = true, AskTimeout = TimeSpan.FromMinutes(5), Persistence = store };
        using (var system = Akka.Actor.ActorSystem.Create("recovery-a", SystemSetup(settings)))
        {
            await using var before = PlaybackManager.Create(system, settings, new InstantApi());
            await before.Recovery;
            using var gate = new SemaphoreSlim(256);
            await Task.WhenAll(Enumerable.Range(0, calls).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    await before.PlayAsync("rec-" + i.ToString(CultureInfo.InvariantCulture), [Media.Ringtone("us")], new PlayOptions { StatusUrl = new Uri("https://example.invalid/hook") });
                }
                finally
                {
                    gate.Release();
                }
            }));
            await system.Terminate();
        }

        using var after = Akka.Actor.ActorSystem.Create("recovery-b", SystemSetup(settings));
        var sw = Stopwatch.StartNew();
        await using var manager = PlaybackManager.Create(after, settings, new InstantApi());
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
                await manager.StopAsync("rec-" + i.ToString(CultureInfo.InvariantCulture), FindControlId(manager, i));
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
        if (refused > 0)
        {
            report.Note(FormattableString.Invariant($"stops refused by the store ({name}): {refused:N0} of {calls:N0}"));
        }

        // The deletes are asynchronous: wait (up to 2 min) until the store stops shrinking, then purge and measure.
        var left = await manager.Store!.BytesLeftAsync();
        for (var i = 0; i < 120 && left.Rows > 0; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await manager.PurgeStoreAsync();
            left = await manager.Store!.BytesLeftAsync();
        }

        report.Note(FormattableString.Invariant($"store left after {calls:N0} finished calls ({name}): {left.Rows} rows, {left.Bytes} bytes ({(double)left.Bytes / calls:0.0} bytes per finished call)"));
    }

    /// <summary>What <c>PlaybackManager.Create(settings)</c> gives its own system (SQLite: the journal's connection setup).</summary>
    private static Akka.Actor.Setup.ActorSystemSetup SystemSetup(PlaybackSettings settings) =>
        PlaybackManager.SystemSetup(Akka.Actor.Setup.ActorSystemSetup.Create(Akka.Actor.BootstrapSetup.Create().WithConfig(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = ERROR"))), settings);

    private static string FindControlId(PlaybackManager manager, int i) =>
        manager.Snapshot("rec-" + i.ToString(CultureInfo.InvariantCulture)).Single().ControlId;
}
