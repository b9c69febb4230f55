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
        var c = (ReferenceEquals(config, Reference) ? config : config.WithFallback(Reference)).GetConfig("playback.cluster");
        var settings = new PlaybackClusterSettings
        {
            TypeName = c.GetString("type-name"),
            Role = string.IsNullOrWhiteSpace(c.GetString("role")) ? null : c.GetString("role"),
            NumberOfShards = c.GetInt("number-of-shards"),
            AllCallsTopic = c.GetString("all-calls-topic"),
            RestoreTimeout = c.GetTimeSpan("restore-timeout"),
            RememberEntities = c.GetBoolean("remember-entities"),
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

    private static Config LoadReference()
    {
        using var stream = typeof(PlaybackClusterSettings).Assembly.GetManifestResourceStream("Playback.cluster.conf")
            ?? throw new InvalidOperationException("The embedded cluster.conf is missing from Playback.Cluster.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
