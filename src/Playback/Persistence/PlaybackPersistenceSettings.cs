using System.Data.Common;

namespace Playback;

/// <summary>The database that keeps the calls' playbacks across restarts (<see cref="PlaybackSettings.Persistence"/>).</summary>
public enum PlaybackPersistenceProvider
{
    /// <summary>SQLite through Microsoft.Data.Sqlite: a file next to the app, in WAL mode. The embedded default.</summary>
    Sqlite,

    /// <summary>PostgreSQL through Npgsql: a store shared by every instance (and every node of a cluster).</summary>
    PostgreSql,
}

/// <summary>
/// Where Playback keeps each call's playbacks so that a restarted (or failed-over) service keeps control of them. Off
/// (null) by default; <c>playback.persistence</c> in HOCON, <c>Playback:Persistence</c> in hosting options. README, "Surviving restarts".
/// </summary>
public sealed record PlaybackPersistenceSettings
{
    /// <summary>The persistence id prefix of call journals: <c>playback-call-</c> followed by the call id.</summary>
    public const string PersistenceIdPrefix = "playback-call-";

    private PlaybackPersistenceSettings(PlaybackPersistenceProvider provider, string connectionString)
    {
        Provider = provider;
        ConnectionString = connectionString;
    }

    /// <summary>The database kind.</summary>
    public PlaybackPersistenceProvider Provider { get; init; }

    /// <summary>The ADO.NET connection string. Never written to logs or exceptions (<see cref="ToString"/> hides its password).</summary>
    public string ConnectionString { get; init; }

    /// <summary>A snapshot of a call's state is saved every this many journal events (older events are then deleted). Default 100.</summary>
    public int SnapshotEvery { get; init; } = 100;

    /// <summary>Create the journal and snapshot tables on first use (default on). Off for a locked-down database whose schema was created ahead of time.</summary>
    public bool AutoInitialize { get; init; } = true;

    /// <summary>At most this many calls recover from the store at once when the manager starts. Default 64.</summary>
    public int RecoveryParallelism { get; init; } = 64;

    /// <summary>SQLite in a file (created on first use, WAL mode).</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=playback.db</c>.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentException">The connection string is empty.</exception>
    public static PlaybackPersistenceSettings Sqlite(string connectionString) => new(PlaybackPersistenceProvider.Sqlite, Required(connectionString));

    /// <summary>PostgreSQL (9.6 or later; tested with 15).</summary>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Database=playback;Username=playback;Password=…</c>.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentException">The connection string is empty.</exception>
    public static PlaybackPersistenceSettings PostgreSql(string connectionString) => new(PlaybackPersistenceProvider.PostgreSql, Required(connectionString));

    /// <summary>Reads a provider name (<c>sqlite</c>, <c>postgresql</c>; case-insensitive, <c>postgres</c> accepted).</summary>
    /// <param name="provider">The provider name.</param>
    /// <param name="connectionString">The connection string.</param>
    /// <param name="key">The configuration key the provider came from, for the error.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="PlaybackConfigurationException">The provider is unknown or the connection string is empty.</exception>
    public static PlaybackPersistenceSettings Parse(string provider, string? connectionString, string key = "Provider")
    {
        var kind = provider?.Trim().ToLowerInvariant() switch
        {
            "sqlite" => PlaybackPersistenceProvider.Sqlite,
            "postgresql" or "postgres" or "npgsql" => PlaybackPersistenceProvider.PostgreSql,
            _ => throw new PlaybackConfigurationException([$"{key} must be sqlite or postgresql, was '{provider}'"]),
        };
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new PlaybackConfigurationException([$"the connection string for {key} = {provider} is missing"]);
        }

        return new PlaybackPersistenceSettings(kind, connectionString);
    }

    /// <summary>The problems of these settings, each naming the setting.</summary>
    /// <param name="problems">Where to add them.</param>
    internal void Validate(List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            problems.Add("Persistence.ConnectionString must not be empty");
        }

        if (SnapshotEvery < 1)
        {
            problems.Add($"Persistence.SnapshotEvery must be at least 1, was {SnapshotEvery}");
        }

        if (RecoveryParallelism < 1)
        {
            problems.Add($"Persistence.RecoveryParallelism must be at least 1, was {RecoveryParallelism}");
        }
    }

    /// <summary>The connection string with its password (and any other secret) hidden.</summary>
    /// <returns>A string safe to log.</returns>
    public string RedactedConnectionString()
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = ConnectionString };
            foreach (var key in builder.Keys.Cast<string>().ToList())
            {
                if (key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Equals("pwd", StringComparison.OrdinalIgnoreCase)
                    || key.Contains("key", StringComparison.OrdinalIgnoreCase) || key.Contains("token", StringComparison.OrdinalIgnoreCase))
                {
                    builder[key] = "***";
                }
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(unreadable connection string)";
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"PlaybackPersistenceSettings {{ Provider = {Provider}, ConnectionString = {RedactedConnectionString()}, SnapshotEvery = {SnapshotEvery}, AutoInitialize = {AutoInitialize}, RecoveryParallelism = {RecoveryParallelism} }}";

    private static string Required(string connectionString) =>
        string.IsNullOrWhiteSpace(connectionString) ? throw new ArgumentException("connectionString must not be empty.", nameof(connectionString)) : connectionString;
}
