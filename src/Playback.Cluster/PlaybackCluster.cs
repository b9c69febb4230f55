using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;

namespace Playback;

/// <summary>
/// Runs Playback on an Akka.Cluster: each call's actor is a cluster-sharding entity keyed by call id (one per call in the
/// whole cluster), commands and webhooks on any node reach it through the shard region, and every call's events reach
/// every node's Rx streams through DistributedPubSub. The <see cref="PlaybackManager"/> API is the same as on one node.
/// </summary>
public static class PlaybackCluster
{
    private static long _instances;

    /// <summary>Starts Playback on a clustered ActorSystem with the HTTP Calling API client (with its resilience pipeline).</summary>
    /// <param name="system">An ActorSystem whose provider is <c>cluster</c>; it may still be joining.</param>
    /// <param name="settings">Playback settings (credentials and a space or base URL).</param>
    /// <param name="cluster">Cluster settings; null = <see cref="PlaybackClusterSettings.FromConfig"/> of the system's config.</param>
    /// <returns>The manager, once its shard region runs and this node receives the events.</returns>
    /// <exception cref="PlaybackConfigurationException">A setting is wrong.</exception>
    /// <exception cref="InvalidOperationException">The ActorSystem is not a cluster system.</exception>
    public static Task<PlaybackManager> StartAsync(ActorSystem system, PlaybackSettings settings, PlaybackClusterSettings? cluster = null) =>
        StartCoreAsync(system, settings, api: null, cluster);

    /// <summary>Starts Playback on a clustered ActorSystem with a given Calling API implementation (used as given).</summary>
    /// <param name="system">An ActorSystem whose provider is <c>cluster</c>.</param>
    /// <param name="settings">Playback settings; credentials are not required.</param>
    /// <param name="api">The Calling API implementation.</param>
    /// <param name="cluster">Cluster settings; null = from the system's config.</param>
    /// <returns>The manager.</returns>
    /// <exception cref="PlaybackConfigurationException">A setting is wrong.</exception>
    public static Task<PlaybackManager> StartAsync(ActorSystem system, PlaybackSettings settings, ICallingApi api, PlaybackClusterSettings? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        return StartCoreAsync(system, settings, api, cluster);
    }

    /// <summary>Registers Playback's serializer for the messages that cross nodes (also bound in <c>hocon/cluster.conf</c>).</summary>
    internal static void AddSerializer(ActorSystem system)
    {
        var serialization = system.Serialization;
        var serializer = new PlaybackClusterSerializer((ExtendedActorSystem)system);
        if (serialization.FindSerializerForType(typeof(StartPlay)) is PlaybackClusterSerializer)
        {
            return;
        }

        serialization.AddSerializer("playback", serializer);
        // The concrete types too: the lookup above caches StartPlay's default serializer, which an interface binding would not replace.
        foreach (var type in new[]
        {
            typeof(IWithCallId), typeof(CommandReply), typeof(CommandReceived), typeof(PlaybackEvent), typeof(WebhookResult),
            typeof(StartPlay), typeof(PausePlay), typeof(ResumePlay), typeof(StopPlay), typeof(ChangeVolume), typeof(CommandSucceeded),
            typeof(CommandFailed), typeof(PlayStatusReceived), typeof(CallStateReceived), typeof(CallHandoff),
        })
        {
            serialization.AddSerializationMap(type, serializer);
        }
    }

    /// <summary>
    /// Creates the manager, its event bridge and its gateway, and starts the shard region (or its proxy on nodes without
    /// the role). Akka.Hosting's <c>WithShardRegion</c> starts the region itself from <see cref="Prepare"/>'s entity props.
    /// </summary>
    internal static async Task<PlaybackManager> StartCoreAsync(ActorSystem system, PlaybackSettings settings, ICallingApi? api, PlaybackClusterSettings? cluster)
    {
        var prepared = Prepare(system, settings, api, cluster);
        var sharding = ClusterSharding.Get(system);
        if (prepared.HostsCalls)
        {
            var shardingSettings = ClusterShardingSettings.Create(system).WithRole(prepared.Cluster.Role).WithRememberEntities(prepared.Cluster.RememberEntities);
            await sharding.StartAsync(
                prepared.Cluster.TypeName,
                prepared.EntityProps,
                shardingSettings,
                new CallMessageExtractor(prepared.Cluster.NumberOfShards),
                sharding.DefaultShardAllocationStrategy(shardingSettings),
                HandOffCall.Instance).ConfigureAwait(false);
        }
        else
        {
            await sharding.StartProxyAsync(prepared.Cluster.TypeName, prepared.Cluster.Role!, new CallMessageExtractor(prepared.Cluster.NumberOfShards)).ConfigureAwait(false);
        }

        await prepared.Subscribed.ConfigureAwait(false);
        return prepared.Manager;
    }

    /// <summary>Everything but the shard region: the manager (whose gateway finds the region when the first message comes), the bridge, the entity props.</summary>
    internal static Prepared Prepare(ActorSystem system, PlaybackSettings settings, ICallingApi? api, PlaybackClusterSettings? cluster)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        if (system is not ExtendedActorSystem extended || extended.Provider is not Akka.Cluster.ClusterActorRefProvider)
        {
            throw new InvalidOperationException("Playback.Cluster needs an ActorSystem with akka.actor.provider = cluster.");
        }

        // Before DistributedPubSub, the gateway's couriers and the shard region schedule anything (see SchedulerWarmup).
        SchedulerWarmup.Run(system);
        system.Settings.InjectTopLevelFallback(PlaybackClusterSettings.Reference);
        cluster ??= PlaybackClusterSettings.FromConfig(system.Settings.Config);
        cluster.Validate();
        AddSerializer(system);

        var selfRoles = Cluster.Get(system).SelfRoles;
        var hostsCalls = string.IsNullOrEmpty(cluster.Role) || selfRoles.Contains(cluster.Role);
        var typeName = cluster.TypeName;
        IActorRef? region = null;
        IActorRef Region() => region ??= ClusterSharding.Get(system).ShardRegion(typeName);
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PlaybackActorSettings? entitySettings = null;
        ClusterEntityHooks? hooks = null;
        var id = Interlocked.Increment(ref _instances).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var origins = new CallOrigins(Cluster.Get(system));

        IActorRef StartGateway(ActorSystem sys, PlaybackActorSettings actorSettings)
        {
            var mediator = DistributedPubSub.Get(sys).Mediator;
            var topic = cluster.AllCallsTopic;
            // Answers are written behind at once: a shard handed off to another node stops its calls without flushing,
            // and the node that takes over reads the store (a held answer would make it send the request again).
            entitySettings = actorSettings with { WriteBehindHold = TimeSpan.Zero };
            hooks = new ClusterEntityHooks(
                new Akka.Cluster.Sharding.Passivate(StopIfIdle.Instance),
                Region,
                e => mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(topic, e)),
                actorSettings.Hub.Snapshot,
                cluster.RestoreTimeout,
                () => HasSuccessor(sys, cluster.Role),
                origins.PredecessorCrashed);
            var gateway = sys.ActorOf(CallGateway.Props(Region, settings.AskTimeout + TimeSpan.FromSeconds(5)), "playback-gateway-" + id);
            sys.ActorOf(ClusterEventBridge.Props(actorSettings.Hub, topic, subscribed, gateway, origins), "playback-events-" + id);
            return gateway;
        }

        var loggers = system.Settings.Setup.Get<Akka.Hosting.Logging.LoggerFactorySetup>();
        var manager = PlaybackManager.Create(new ManagerSetup(system, OwnsSystem: false, settings)
        {
            Api = api,
            StartRouter = StartGateway,
            LoggerFactory = loggers.HasValue ? loggers.Value.LoggerFactory : null,
        });

        var (props, entityHooks) = (entitySettings!, hooks!);
        return new Prepared(manager, cluster, hostsCalls, entityId => ClusterCallActor.Props(entityId, props, entityHooks), subscribed.Task);
    }

    /// <summary>Whether a member other than this one is up (or joining) and could host call actors.</summary>
    private static bool HasSuccessor(ActorSystem system, string? role)
    {
        var cluster = Cluster.Get(system);
        return cluster.State.Members.Any(m =>
            m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining
            && !m.UniqueAddress.Equals(cluster.SelfUniqueAddress)
            && (role is null || m.HasRole(role)));
    }

    internal sealed record Prepared(PlaybackManager Manager, PlaybackClusterSettings Cluster, bool HostsCalls, Func<string, Props> EntityProps, Task Subscribed);
}
