using Akka.Configuration;

namespace Playback;

/// <summary>How Playback runs on a cluster; defaults from <c>hocon/cluster.conf</c> (the <c>playback.cluster</c> block).</summary>
public sealed record PlaybackClusterSettings
{
    /// <summary>The embedded reference configuration (<c>hocon/cluster.conf</c>).</summary>
    public static Config Reference { get; } = LoadReference();

    /// <summary>The defaults.</summary>
    public static PlaybackClusterSettings Default { get; } = FromConfig(Reference);

    /// <summary>Name of the shard region holding the call actors; the same on every node.</summary>
    public string TypeName { get; init; } = "playback-calls";

    /// <summary>Cluster role that hosts call actors; null or empty = every node (nodes without it run a proxy).</summary>
    public string? Role { get; init; }

    /// <summary>Number of shards; fixed for the life of the cluster.</summary>
    public int NumberOfShards { get; init; } = 100;

    /// <summary>DistributedPubSub topic that carries every call's events to every node.</summary>
    public string AllCallsTopic { get; init; } = "playback.events";

    /// <summary>How long a call actor that moved here without its predecessor's handoff waits for it.</summary>
    public TimeSpan RestoreTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether sharding remembers call actors (needs a remember-entities store).</summary>
    public bool RememberEntities { get; init; }

    /// <summary>Reads the <c>playback.cluster</c> block over the reference defaults.</summary>
    /// <param name="config">A configuration with (or without) a <c>playback.cluster</c> block.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="PlaybackConfigurationException">A value breaks its rule.</exception>
    public static PlaybackClusterSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        // The reference itself (read for Default) cannot take itself as its fallback.
        var c = (ReferenceEquals(config, Reference) ? config : config.WithFallback(Reference)).GetConfig("playback.cluster");
        var settings = new PlaybackClusterSettings
        {
            TypeName = c.GetString("type-name"),
            Role = string.IsNullOrWhiteSpace(c.GetString("role")) ? null : c.GetString("role"),
            NumberOfShards = Read(c, "number-of-shards", "a whole number", k => c.GetInt(k)),
            AllCallsTopic = c.GetString("all-calls-topic"),
            RestoreTimeout = Read(c, "restore-timeout", "a duration such as 2s or 500ms", k => c.GetTimeSpan(k)),
            RememberEntities = Read(c, "remember-entities", "on or off", k => c.GetBoolean(k)),
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Checks every value.</summary>
    /// <exception cref="PlaybackConfigurationException">One message listing every value that breaks its rule.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(TypeName))
        {
            problems.Add("playback.cluster.type-name (TypeName) must not be empty");
        }

        if (NumberOfShards < 1)
        {
            problems.Add($"playback.cluster.number-of-shards (NumberOfShards) must be at least 1, was {NumberOfShards}");
        }

        if (string.IsNullOrWhiteSpace(AllCallsTopic))
        {
            problems.Add("playback.cluster.all-calls-topic (AllCallsTopic) must not be empty");
        }

        if (RestoreTimeout <= TimeSpan.Zero)
        {
            problems.Add($"playback.cluster.restore-timeout (RestoreTimeout) must be positive, was {RestoreTimeout}");
        }

        if (problems.Count > 0)
        {
            throw new PlaybackConfigurationException(problems);
        }
    }

    /// <summary>Reads one value; a malformed one is a configuration error naming its key.</summary>
    private static T Read<T>(Config c, string key, string expected, Func<string, T> read)
    {
        try
        {
            return read(key);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException)
        {
            throw new PlaybackConfigurationException([$"playback.cluster.{key} must be {expected} (was \"{c.GetString(key, string.Empty)}\")"]);
        }
    }

    private static Config LoadReference()
    {
        using var stream = typeof(PlaybackClusterSettings).Assembly.GetManifestResourceStream("Playback.cluster.conf")
            ?? throw new InvalidOperationException("The embedded cluster.conf is missing from Playback.Cluster.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
