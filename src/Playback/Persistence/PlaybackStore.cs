using System.Data.Common;
using Akka.Configuration;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Playback;

/// <summary>
/// The SQL store behind <see cref="PlaybackPersistenceSettings"/>: the Akka.Persistence.Sql journal and snapshot store
/// configuration, the check that it can be opened (a clear error at start, not a hang), and the one query recovery needs.
/// </summary>
internal sealed class PlaybackStore(PlaybackPersistenceSettings settings)
{
    /// <summary>The plugins' identifier (Akka.Persistence.Sql.Hosting's <c>Identifier</c>).</summary>
    public const string PluginIdentifier = "playback-sql";
    public const string JournalId = "akka.persistence.journal." + PluginIdentifier;
    public const string SnapshotStoreId = "akka.persistence.snapshot-store." + PluginIdentifier;

    /// <summary>The name <see cref="CallStoreSerializer"/> is registered under, and the plugins' default serializer.</summary>
    public const string SerializerName = "playback-store";

    public PlaybackPersistenceSettings Settings { get; } = settings;

    /// <summary>The LinqToDB provider name of the database.</summary>
    public string ProviderName => Settings.Provider == PlaybackPersistenceProvider.Sqlite ? LinqToDB.ProviderName.SQLiteMS : LinqToDB.ProviderName.PostgreSQL;

    private string TableMapping => Settings.Provider == PlaybackPersistenceProvider.Sqlite ? "sqlite" : "postgresql";

    private string JournalTable => Settings.Provider == PlaybackPersistenceProvider.Sqlite ? "event_journal" : "public.event_journal";

    /// <summary>
    /// The whole configuration of the store for a system Playback configures itself: the plugins' HOCON, the
    /// call-change serializer's binding and <see cref="TuningConfig"/>. The binding must be configuration, not
    /// <c>Serialization.AddSerializer</c>: every later <c>InjectTopLevelFallback</c> (Akka.Persistence's own, when its
    /// extension starts) rebuilds the system's serialization from configuration and forgets serializers added in code.
    /// </summary>
    public Config ToConfig()
    {
        var common = $"""
            connection-string = "{Escape(Settings.ConnectionString)}"
            provider-name = "{ProviderName}"
            table-mapping = {TableMapping}
            auto-initialize = {(Settings.AutoInitialize ? "on" : "off")}
            serializer = {SerializerName}
            """;
        return TuningConfig().WithFallback(ConfigurationFactory.ParseString($$"""
            {{JournalId}} {
              class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
              plugin-id = "{{JournalId}}"
              {{common}}
            }
            {{SnapshotStoreId}} {
              class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
              plugin-id = "{{SnapshotStoreId}}"
              {{common}}
            }
            """));
    }

    /// <summary>
    /// What Playback sets beyond the plugins' own options (Akka.Persistence.Sql.Hosting's options cannot say it): the
    /// call-change serializer's binding, the journal's writers, write queue and breaker timeout. Must take precedence
    /// over the plugins' defaults.
    /// </summary>
    public Config TuningConfig()
    {
        var serializer = typeof(CallStoreSerializer);
        return ConfigurationFactory.ParseString($$"""
            akka.actor {
              serializers.{{SerializerName}} = "{{serializer.FullName}}, {{serializer.Assembly.GetName().Name}}"
              serialization-bindings { "{{typeof(CallChange).FullName}}, {{typeof(CallChange).Assembly.GetName().Name}}" = {{SerializerName}} }
              serialization-identifiers { "{{serializer.FullName}}, {{serializer.Assembly.GetName().Name}}" = {{CallStoreSerializer.Id}} }
            }
            {{JournalId}} {
              {{ReadIsolation}}
              # SQLite has one writer: parallel write transactions only wait for each other's locks (with sleeps), and a
              # burst of thousands of commands then runs into the journal's timeout. One writer commits them in batches.
              parallelism = {{(Settings.Provider == PlaybackPersistenceProvider.Sqlite ? 1 : 6)}}
              # Every change of every call waits in one queue for its batch; a full queue refuses the write, and each
              # refusal counts against the breaker. 10,000 commands at once can queue 10,000 writes (the default is 5,000).
              buffer-size = {{WriteQueue}}
              # A burst of thousands of commands queues its writes; a write that waits its turn is not a failing database
              # (the default 10 s made such waits open the breaker, which then refused everything, deletes included).
              circuit-breaker.call-timeout = 30s
            }
            {{SnapshotStoreId}} {
              {{ReadIsolation}}
              circuit-breaker.call-timeout = 30s
            }
            """);
    }

    /// <summary>
    /// SQLite: reads in deferred transactions. Microsoft.Data.Sqlite begins every transaction of any other isolation level
    /// with <c>BEGIN IMMEDIATE</c>, which takes the database's one write lock: recovery's reads (50 calls at once) then
    /// waited for each other and for the writes, each wait a 150 ms sleep of the driver. <c>read-uncommitted</c> is how
    /// a deferred <c>BEGIN</c> is asked for (without a shared cache SQLite reads committed data as ever; in WAL mode a
    /// read never waits for a writer).
    /// </summary>
    private string ReadIsolation => Settings.Provider == PlaybackPersistenceProvider.Sqlite ? "read-isolation-level = read-uncommitted" : string.Empty;

    /// <summary>The journal's write queue: changes waiting for their batch (an array of this many references).</summary>
    internal const int WriteQueue = 100_000;

    /// <summary>Makes the system able to write the store: the plugins' configuration and the call-change serializer (injecting configuration reloads the system's serialization).</summary>
    public void Register(Akka.Actor.ActorSystem system) => system.Settings.InjectTopLevelFallback(ToConfig());

    /// <summary>
    /// Opens the store once (SQLite: switches the file to WAL mode) and lists the calls that have journal events that were
    /// not deleted, i.e. that had live playbacks when the last process stopped.
    /// </summary>
    /// <exception cref="PlaybackStoreException">The store cannot be opened or read (unreachable, corrupt, refused).</exception>
    public async Task<IReadOnlyList<string>> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = Connect();
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // Switching the mode takes the write lock: only when the file is not in WAL mode yet (a new file), so that a
            // start never waits for another connection's write.
            if (Settings.Provider == PlaybackPersistenceProvider.Sqlite
                && !string.Equals(await ScalarAsync(connection, "PRAGMA journal_mode;", cancellationToken).ConfigureAwait(false), "wal", StringComparison.OrdinalIgnoreCase))
            {
                await ScalarAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            }

            // A corrupt file or a wrong database fails here, not at the first command.
            await ScalarAsync(connection, "SELECT 1;", cancellationToken).ConfigureAwait(false);
            if (!await JournalExistsAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                return [];
            }

            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT DISTINCT persistence_id FROM {JournalTable} WHERE is_deleted = {False} AND persistence_id LIKE '{PlaybackPersistenceSettings.PersistenceIdPrefix}%'";
            var ids = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids.Add(reader.GetString(0)[PlaybackPersistenceSettings.PersistenceIdPrefix.Length..]);
            }

            return ids;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException or ArgumentException)
        {
            throw Failed("could not be opened", e);
        }
    }

    /// <summary>Physically removes the journal rows the journal only marked deleted (it keeps the last one of each call), so that finished calls leave nothing behind.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = Connect();
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!await JournalExistsAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            await using var command = connection.CreateCommand();
            command.CommandText = $"DELETE FROM {JournalTable} WHERE is_deleted = {True} AND persistence_id LIKE '{PlaybackPersistenceSettings.PersistenceIdPrefix}%'";
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            throw Failed("could not be purged", e);
        }
    }

    /// <summary>Rows and payload bytes of Playback's journal and snapshots (benchmarks: what finished calls leave behind).</summary>
    public async Task<(long Rows, long Bytes)> BytesLeftAsync()
    {
        await using var connection = Connect();
        await connection.OpenAsync().ConfigureAwait(false);
        var snapshots = Settings.Provider == PlaybackPersistenceProvider.Sqlite ? "snapshot" : "public.snapshot_store";
        await using var command = connection.CreateCommand();
        command.CommandText =
            $"SELECT (SELECT COUNT(*) FROM {JournalTable}) + (SELECT COUNT(*) FROM {snapshots}), " +
            $"(SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM {JournalTable}) + (SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM {snapshots})";
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public PlaybackStoreException Failed(string what, Exception inner) =>
        new($"The playback store ({Settings.Provider}, {Settings.RedactedConnectionString()}) {what}: {inner.Message}", inner);

    private string False => Settings.Provider == PlaybackPersistenceProvider.Sqlite ? "0" : "false";

    private string True => Settings.Provider == PlaybackPersistenceProvider.Sqlite ? "1" : "true";

    private DbConnection Connect() => Settings.Provider == PlaybackPersistenceProvider.Sqlite
        ? new SqliteConnection(Settings.ConnectionString)
        : new NpgsqlConnection(Settings.ConnectionString);

    private async Task<bool> JournalExistsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Settings.Provider == PlaybackPersistenceProvider.Sqlite
            ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'event_journal'"
            : "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'event_journal'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static async Task<string?> ScalarAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
