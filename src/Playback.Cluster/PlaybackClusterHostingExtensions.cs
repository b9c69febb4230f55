using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Playback.Hosting;

namespace Playback;

/// <summary>The shard region of Playback's call actors in Akka.Hosting's ActorRegistry (<c>IRequiredActor&lt;PlaybackCallRegion&gt;</c>).</summary>
public sealed class PlaybackCallRegion
{
    private PlaybackCallRegion()
    {
    }
}

/// <summary>How this node joins the cluster and hosts Playback's call actors; bind it from configuration (e.g. <c>Playback:Cluster</c>).</summary>
public sealed class PlaybackClusterOptions
{
    /// <summary>Address the node listens on for other nodes (Akka.Remote); default 127.0.0.1.</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>Port for other nodes; 0 = any free port (then it cannot be a seed node). Default 4053.</summary>
    public int Port { get; set; } = 4053;

    /// <summary>Address other nodes use to reach this one when it differs from <see cref="Hostname"/> (containers, NAT).</summary>
    public string? PublicHostname { get; set; }

    /// <summary>Seed nodes, e.g. <c>akka.tcp://calls@127.0.0.1:4053</c>; the ActorSystem's name must match.</summary>
    public string[] SeedNodes { get; set; } = [];

    /// <summary>This node's cluster roles.</summary>
    public string[] Roles { get; set; } = [];

    /// <summary>Role that hosts call actors; null = every node. A node without it sends commands through a proxy and still gets every event.</summary>
    public string? Role { get; set; }

    /// <summary>Name of the shard region; the same on every node.</summary>
    public string TypeName { get; set; } = PlaybackClusterSettings.Default.TypeName;

    /// <summary>Number of shards; the same on every node and for the life of the cluster.</summary>
    public int NumberOfShards { get; set; } = PlaybackClusterSettings.Default.NumberOfShards;

    /// <summary>How long a moved call actor without its predecessor's handoff waits for it.</summary>
    public TimeSpan RestoreTimeout { get; set; } = PlaybackClusterSettings.Default.RestoreTimeout;

    /// <summary>The Playback part of these options.</summary>
    /// <returns>The settings.</returns>
    /// <exception cref="PlaybackConfigurationException">A value breaks its rule.</exception>
    public PlaybackClusterSettings ToSettings()
    {
        var settings = PlaybackClusterSettings.Default with
        {
            TypeName = TypeName,
            NumberOfShards = NumberOfShards,
            RestoreTimeout = RestoreTimeout,
            Role = string.IsNullOrWhiteSpace(Role) ? null : Role,
        };
        settings.Validate();
        return settings;
    }
}

/// <summary>Runs Playback on an Akka.Cluster inside an Akka.Hosting ActorSystem.</summary>
public static class PlaybackClusterHostingExtensions
{
    /// <summary>
    /// Makes the host's ActorSystem a cluster node (Akka.Remote on <see cref="PlaybackClusterOptions.Hostname"/>:<see cref="PlaybackClusterOptions.Port"/>,
    /// Akka.Cluster with the seed nodes and roles, DistributedPubSub), starts the shard region of call actors with
    /// Akka.Cluster.Hosting's <c>WithShardRegion</c> (registered as <see cref="PlaybackCallRegion"/>; a proxy on nodes
    /// without <see cref="PlaybackClusterOptions.Role"/>), and a <see cref="PlaybackManager"/> on it, registered as
    /// <see cref="PlaybackCallRegistry"/> and returned by <c>system.GetPlayback()</c> and, with <c>services.AddPlayback()</c>, by DI.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="settings">Playback settings.</param>
    /// <param name="cluster">How this node joins; null = defaults (127.0.0.1:4053, no seed nodes: join it yourself).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="PlaybackConfigurationException">A cluster option breaks its rule.</exception>
    public static AkkaConfigurationBuilder WithPlaybackCluster(this AkkaConfigurationBuilder builder, PlaybackSettings settings, PlaybackClusterOptions? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        cluster ??= new PlaybackClusterOptions();
        var clusterSettings = cluster.ToSettings();
        var hostsCalls = clusterSettings.Role is null || cluster.Roles.Contains(clusterSettings.Role);
        PlaybackManager? manager = null;
        PlaybackAkkaHostingExtensions.Remember(builder, settings);
        builder
            .WithPlaybackStore(settings.Persistence)
            .WithLoggerBridge()
            .AddHocon(PlaybackClusterSettings.Reference, HoconAddMode.Append)
            .WithRemoting(new RemoteOptions { HostName = cluster.Hostname, Port = cluster.Port, PublicHostName = cluster.PublicHostname })
            .WithClustering(new ClusterOptions { SeedNodes = cluster.SeedNodes, Roles = cluster.Roles })
            .WithDistributedPubSub(string.Empty);

        var extractor = new CallMessageExtractor(clusterSettings.NumberOfShards);
        if (hostsCalls)
        {
            builder.WithShardRegion<PlaybackCallRegion>(
                clusterSettings.TypeName,
                (system, _, _) =>
                {
                    var prepared = PlaybackCluster.Prepare(system, settings, api: null, clusterSettings);
                    manager = prepared.Manager;
                    return prepared.EntityProps;
                },
                extractor,
                new ShardOptions
                {
                    Role = clusterSettings.Role,
                    RememberEntities = clusterSettings.RememberEntities,
                    ShouldPassivateIdleEntities = false,
                    HandOffStopMessage = HandOffCall.Instance,
                });
        }
        else
        {
            builder.WithShardRegionProxy<PlaybackCallRegion>(clusterSettings.TypeName, clusterSettings.Role!, extractor);
        }

        return builder.WithActors((system, registry) =>
        {
            manager ??= PlaybackCluster.Prepare(system, settings, api: null, clusterSettings).Manager;
            PlaybackAkkaHostingExtensions.Register(system, manager);
            registry.Register<PlaybackCallRegistry>(manager.CallRegistryActor);
        });
    }

    /// <summary>As <see cref="WithPlaybackCluster(AkkaConfigurationBuilder, PlaybackSettings, PlaybackClusterOptions)"/>, with Playback's and the cluster's options set in code (Playback's over the environment fallback).</summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="configure">Sets Playback's options.</param>
    /// <param name="configureCluster">Sets the cluster options.</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithPlaybackCluster(this AkkaConfigurationBuilder builder, Action<PlaybackOptions> configure, Action<PlaybackClusterOptions> configureCluster)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(configureCluster);
        var options = new PlaybackOptions();
        configure(options);
        var cluster = new PlaybackClusterOptions();
        configureCluster(cluster);
        return builder.WithPlaybackCluster(options.ToSettings(), cluster);
    }
}
