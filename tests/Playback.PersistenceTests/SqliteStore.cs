using Microsoft.Data.Sqlite;

namespace Playback.PersistenceTests;

/// <summary>A SQLite store in a fresh temp directory, removed afterwards.</summary>
public sealed class SqliteStore : IDisposable
{
    public SqliteStore()
    {
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "playback-store-" + Guid.NewGuid().ToString("N"));

    public string File => Path.Combine(Dir, "playback.db");

    public string ConnectionString => $"Data Source={File}";

    public PlaybackPersistenceSettings Settings => PlaybackPersistenceSettings.Sqlite(ConnectionString);

    /// <summary>One number from the store (e.g. a count).</summary>
    public long Scalar(string sql)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
