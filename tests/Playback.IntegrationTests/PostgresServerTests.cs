using System.Diagnostics;
using Npgsql;

namespace Playback.IntegrationTests;

/// <summary>The throwaway PostgreSQL server that persistence tests run against: it starts, serves Npgsql on loopback, and leaves nothing behind.</summary>
public sealed class PostgresServerTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task The_shared_server_accepts_Npgsql_connections_on_loopback_only_with_a_fresh_database_per_test()
    {
        var first = await postgres.NewDatabaseAsync();
        var second = await postgres.NewDatabaseAsync();

        await using (var connection = new NpgsqlConnection(first))
        {
            await connection.OpenAsync();
            Assert.StartsWith("15.", (string)(await Scalar(connection, "SHOW server_version"))!, StringComparison.Ordinal);
            Assert.Equal("127.0.0.1", await Scalar(connection, "SHOW listen_addresses"));
            await Scalar(connection, "CREATE TABLE journal (id int PRIMARY KEY, payload text); INSERT INTO journal VALUES (1, 'play')");
            Assert.Equal("play", await Scalar(connection, "SELECT payload FROM journal WHERE id = 1"));
        }

        // The other database does not see the first one's table.
        await using (var connection = new NpgsqlConnection(second))
        {
            await connection.OpenAsync();
            Assert.Equal(0L, await Scalar(connection, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'journal'"));
        }
    }

    [Fact]
    public async Task Disposing_a_server_stops_its_process_and_deletes_its_directory()
    {
        var server = await PostgresServer.StartAsync("disposal");
        var (pid, directory, connectionString) = (server.ProcessId, server.Directory, server.ConnectionString);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            Assert.Equal("disposal", await Scalar(connection, "SELECT current_database()"));
        }

        Assert.True(IsRunning(pid), "the postmaster runs while the server is up");
        Assert.True(Directory.Exists(directory));

        await server.DisposeAsync();

        Assert.False(IsRunning(pid), $"the postmaster (pid {pid}) is gone");
        Assert.False(Directory.Exists(directory), $"{directory} is deleted");
        await using var after = new NpgsqlConnection(connectionString);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => after.OpenAsync());
    }

    private static async Task<object?> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Whether the process exists and is not a zombie (the postmaster's parent is gone, so no one may reap it at once).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            var stat = File.Exists($"/proc/{pid}/stat") ? File.ReadAllText($"/proc/{pid}/stat") : string.Empty;
            var state = stat.LastIndexOf(')') is var end and > 0 && end + 2 < stat.Length ? stat[end + 2] : 'R';
            return !process.HasExited && state is not ('Z' or 'X');
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
