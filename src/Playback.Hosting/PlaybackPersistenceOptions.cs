namespace Playback.Hosting;

/// <summary>
/// Where Playback keeps each call's playbacks across restarts (configuration section <c>Playback:Persistence</c>), bound
/// into <see cref="PlaybackSettings.Persistence"/>. Off while <see cref="Provider"/> is empty or <c>off</c>. README, "Surviving restarts".
/// </summary>
public sealed class PlaybackPersistenceOptions
{
    /// <summary>The database: <c>sqlite</c> or <c>postgresql</c> (case-insensitive); empty or <c>off</c> turns persistence off.</summary>
    public string? Provider { get; set; }

    /// <summary>The ADO.NET connection string (Microsoft.Data.Sqlite or Npgsql). Never logged: <see cref="ToString"/> hides its password.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>A snapshot of a call's state is saved every this many changes (default 100).</summary>
    public int? SnapshotEvery { get; set; }

    /// <summary>Whether the journal and snapshot tables are created on first use (default true; false for a database whose schema was created ahead of time).</summary>
    public bool? AutoInitialize { get; set; }

    /// <summary>At most this many calls recover from the store at once at start (default 64).</summary>
    public int? RecoveryParallelism { get; set; }

    /// <summary>Whether these options turn persistence on (a provider other than <c>off</c> is set).</summary>
    internal bool IsOn => !string.IsNullOrWhiteSpace(Provider) && !Provider.Trim().Equals("off", StringComparison.OrdinalIgnoreCase);

    /// <summary>The options with the connection string's secrets masked.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString() =>
        $"PlaybackPersistenceOptions {{ Provider = {Provider}, ConnectionString = {Redacted()}, SnapshotEvery = {SnapshotEvery}, AutoInitialize = {AutoInitialize}, RecoveryParallelism = {RecoveryParallelism} }}";

    /// <summary>The core settings these options describe; null when off. Each problem names its <c>Playback:Persistence:…</c> key.</summary>
    /// <param name="problems">Where problems are added.</param>
    internal PlaybackPersistenceSettings? ToSettings(List<string> problems)
    {
        const string Key = "Playback:Persistence";
        if (!IsOn)
        {
            if (!string.IsNullOrWhiteSpace(ConnectionString) && string.IsNullOrWhiteSpace(Provider))
            {
                problems.Add($"{Key}:Provider is missing (sqlite or postgresql) but {Key}:ConnectionString is set");
            }

            return null;
        }

        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            problems.Add($"{Key}:ConnectionString is missing: the database of {Key}:Provider = {Provider!.Trim()}");
            return null;
        }

        try
        {
            var settings = PlaybackPersistenceSettings.Parse(Provider!, ConnectionString, Key + ":Provider");
            return settings with
            {
                SnapshotEvery = SnapshotEvery ?? settings.SnapshotEvery,
                AutoInitialize = AutoInitialize ?? settings.AutoInitialize,
                RecoveryParallelism = RecoveryParallelism ?? settings.RecoveryParallelism,
            };
        }
        catch (PlaybackConfigurationException e)
        {
            problems.AddRange(e.Problems);
            return null;
        }
    }

    private string Redacted() => string.IsNullOrWhiteSpace(ConnectionString)
        ? "(not set)"
        : PlaybackPersistenceSettings.Sqlite(ConnectionString).RedactedConnectionString();
}
