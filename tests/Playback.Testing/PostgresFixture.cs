using Xunit;

namespace Playback.Testing;

/// <summary>
/// One throwaway PostgreSQL server (<see cref="PostgresServer"/>) shared by the tests of a class
/// (<c>IClassFixture&lt;PostgresFixture&gt;</c>) or of a collection (<c>ICollectionFixture&lt;PostgresFixture&gt;</c>);
/// each test takes a fresh database from <see cref="NewDatabaseAsync"/> so that tests never see each other's rows. A
/// machine without the server binaries fails the tests with the install hint, it does not skip them.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    /// <summary>The running server.</summary>
    public PostgresServer Server => _server ?? throw new InvalidOperationException("The PostgreSQL fixture has not started (or failed to).");

    /// <summary>Connection string of the database created at start.</summary>
    public string ConnectionString => Server.ConnectionString;

    /// <summary>Creates a database with a new name.</summary>
    /// <returns>Its Npgsql connection string.</returns>
    public Task<string> NewDatabaseAsync() => Server.CreateDatabaseAsync("test_" + Guid.NewGuid().ToString("N"));

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
