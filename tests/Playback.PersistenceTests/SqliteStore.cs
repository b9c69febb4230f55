using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Playback.PersistenceTests;

/// <summary>A real store for one test: SQLite in a temp file, or a fresh database on a throwaway PostgreSQL server.</summary>
public abstract class TestStore : IAsyncDisposable
{
    public abstract PlaybackPersistenceSettings Settings { get; }

    /// <summary>The snapshot table's name in this database (the plugins' table mappings differ).</summary>
    public abstract string SnapshotTable { get; }

    /// <summary>One number from the store (e.g. a count).</summary>
    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = Connect();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Rows of a query, each as its columns joined by spaces (diagnostics in failure messages).</summary>
    public async Task<IReadOnlyList<string>> RowsAsync(string sql)
    {
        await using var connection = Connect();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(string.Join(' ', values.Select(v => v is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    public abstract ValueTask DisposeAsync();

    protected abstract DbConnection Connect();
}

/// <summary>SQLite in a fresh temp directory, removed afterwards.</summary>
public sealed class SqliteStore : TestStore
{
    public SqliteStore()
    {
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "playback-store-" + Guid.NewGuid().ToString("N"));

    public string File => Path.Combine(Dir, "playback.db");

    public string ConnectionString => $"Data Source={File}";

    public override PlaybackPersistenceSettings Settings => PlaybackPersistenceSettings.Sqlite(ConnectionString);

    public override string SnapshotTable => "snapshot";

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    protected override DbConnection Connect() => new SqliteConnection(ConnectionString);
}

/// <summary>A fresh database on the class's throwaway PostgreSQL server (<see cref="PostgresFixture"/>).</summary>
public sealed class PostgresStore(string connectionString) : TestStore
{
    public override PlaybackPersistenceSettings Settings => PlaybackPersistenceSettings.PostgreSql(connectionString);

    public override string SnapshotTable => "snapshot_store";

    public override ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    protected override DbConnection Connect() => new NpgsqlConnection(connectionString);
}
