using System.Data.Common;
using Akka.Actor.Setup;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using LinqToDB.Interceptors;

namespace Playback;

/// <summary>
/// SQLite's journal connections run with <c>PRAGMA synchronous = NORMAL</c> (WAL mode): a commit is durable against a
/// crash or kill of the process, and only a crash of the machine (power loss, kernel panic) can lose the last commits,
/// which then count as never written. SQLite's default (<c>FULL</c>) syncs the disk on every commit, which cost about
/// 2 ms per command here. Akka.Persistence.Sql takes this hook only as a setup given when the ActorSystem is created.
/// </summary>
internal sealed class SqliteDurability : IConnectionInterceptor
{
    // busy_timeout: a connection that finds the write lock taken waits inside SQLite (retrying after 1, 2, 5, 10, … ms)
    // instead of getting SQLITE_BUSY back, which Microsoft.Data.Sqlite answers with a 150 ms sleep per try.
    private const string Pragma = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;";

    /// <summary>The connection options of the store's plugins on SQLite (null for other providers).</summary>
    public static DataOptions? OptionsFor(PlaybackPersistenceSettings? persistence) =>
        persistence is { Provider: PlaybackPersistenceProvider.Sqlite }
            ? new DataOptions().UseConnectionString(ProviderName.SQLiteMS, persistence.ConnectionString).UseInterceptor(new SqliteDurability())
            : null;

    /// <summary>
    /// The setup that makes the store's plugins, and only them, open SQLite connections this way (null for other
    /// providers): keyed by plugin id, so that another Akka.Persistence.Sql plugin in the same system keeps its own.
    /// </summary>
    public static Setup? SetupFor(PlaybackPersistenceSettings? persistence)
    {
        if (OptionsFor(persistence) is not { } options)
        {
            return null;
        }

        var setup = new MultiDataOptionsSetup();
        setup.AddDataOptions(PlaybackStore.JournalId, options);
        setup.AddDataOptions(PlaybackStore.SnapshotStoreId, options);
        return setup;
    }

    public void ConnectionOpening(ConnectionEventData eventData, DbConnection connection)
    {
    }

    public Task ConnectionOpeningAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
