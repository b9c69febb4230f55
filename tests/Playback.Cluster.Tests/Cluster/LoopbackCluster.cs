using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Playback.Emulator;

namespace Playback.Cluster.Tests;

/// <summary>
/// Real ActorSystems in this process joined into one cluster over loopback (ports 0), each running Playback.Cluster against
/// one emulator, each with its own webhook endpoint on Kestrel (127.0.0.1, port 0).
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    private const string SystemName = "calls";

    private LoopbackCluster(CallingEmulator emulator, IReadOnlyList<ClusterNode> nodes)
    {
        Emulator = emulator;
        Nodes = nodes;
    }

    public CallingEmulator Emulator { get; }

    public IReadOnlyList<ClusterNode> Nodes { get; }

    /// <param name="size">Number of nodes (a, b, c …).</param>
    /// <param name="crashable">The node whose ActorSystem terminates without leaving (a crash).</param>
    /// <param name="callsRole">When set, only nodes in <paramref name="withRole"/> host call actors; the others run a proxy.</param>
    /// <param name="withRole">Names of the nodes with <paramref name="callsRole"/>.</param>
    public static Task<LoopbackCluster> StartAsync(int size, string? crashable = null, string? callsRole = null, params string[] withRole) =>
        StartAsync(size, crashable, defaultTimings: false, callsRole, withRole);

    /// <param name="size">Number of nodes (a, b, c …); a is the oldest (it runs the shard coordinator).</param>
    /// <param name="crashable">The node whose ActorSystem terminates without leaving (a crash).</param>
    /// <param name="defaultTimings">
    /// True: failure detection, gossip, downing and sharding as a user gets them (hocon/cluster.conf over Akka's
    /// defaults), for measuring them; false: the tests' tuning (<see cref="ClusterTestSupport.Tuning"/>).
    /// </param>
    /// <param name="callsRole">When set, only nodes in <paramref name="withRole"/> host call actors; the others run a proxy.</param>
    /// <param name="withRole">Names of the nodes with <paramref name="callsRole"/>.</param>
    public static Task<LoopbackCluster> StartAsync(int size, string? crashable, bool defaultTimings, string? callsRole = null, params string[] withRole) =>
        StartAsync(size, crashable, defaultTimings, persistence: null, callsRole, withRole);

    /// <summary>A cluster whose nodes keep their calls in one store (persistence on).</summary>
    /// <param name="size">Number of nodes.</param>
    /// <param name="crashable">The node that can crash.</param>
    /// <param name="persistence">The store every node uses.</param>
    public static Task<LoopbackCluster> StartWithStoreAsync(int size, string crashable, PlaybackPersistenceSettings persistence) =>
        StartAsync(size, crashable, defaultTimings: false, persistence, callsRole: null);

    private static async Task<LoopbackCluster> StartAsync(int size, string? crashable, bool defaultTimings, PlaybackPersistenceSettings? persistence, string? callsRole, params string[] withRole)
    {
        var emulator = await CallingEmulator.StartAsync(new EmulatorOptions { Speed = 10 });
        var nodes = new List<ClusterNode>();
        Address? seed = null;
        for (var i = 0; i < size; i++)
        {
            var name = ((char)('a' + i)).ToString();
            var node = await ClusterNode.StartAsync(name, emulator, hardCrash: name == crashable, defaultTimings, callsRole, hasRole: withRole.Contains(name), persistence);
            seed ??= node.Address;
            await Akka.Cluster.Cluster.Get(node.System).JoinAsync(seed);
            nodes.Add(node);
        }

        var cluster = new LoopbackCluster(emulator, nodes);
        await cluster.WaitForUpAsync(size);
        await cluster.WaitForRegionsAsync(callsRole is null ? size : withRole.Length);
        await cluster.WaitForEventSubscribersAsync();
        return cluster;
    }

    public async Task WaitForUpAsync(int members)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Nodes.Where(n => !n.System.WhenTerminated.IsCompleted).Any(n => Akka.Cluster.Cluster.Get(n.System).State.Members.Count(m => m.Status == MemberStatus.Up) != members))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The cluster did not reach {members} members up.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the shard coordinator knows every node's region (before that, it allocates shards to fewer nodes).</summary>
    public async Task WaitForRegionsAsync(int regions)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var stats = await Nodes[0].Region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(5));
            if (stats.Regions.Count == regions)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The coordinator knows {stats.Regions.Count} of {regions} regions.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits until an event published on any node reaches every node's event hub. Subscriptions spread by gossip: an event
    /// published before a node's subscription reached the publisher's mediator misses that node.
    /// </summary>
    public Task WaitForEventSubscribersAsync() =>
        ClusterTestSupport.WaitUntilEventsReachEveryNodeAsync(Nodes.Select(n => (n.System, n.Playback)).ToList());

    /// <summary>The node whose shard region runs the call's actor right now, or null.</summary>
    public async Task<ClusterNode?> HostOfAsync(string callId)
    {
        foreach (var node in Nodes.Where(n => !n.System.WhenTerminated.IsCompleted))
        {
            var state = await node.Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
            if (state.Shards.Any(s => s.EntityIds.Contains(callId)))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Plays long media on <paramref name="count"/> new calls via <paramref name="via"/>; returns once every node has seen each play start.</summary>
    public async Task<IReadOnlyList<PlaybackHandle>> PlayOnManyCallsAsync(int count, ClusterNode via)
    {
        var calls = Enumerable.Range(0, count).Select(_ => Emulator.CreateCall()).ToList();
        var handles = await Task.WhenAll(calls.Select(call => via.Playback.PlayAsync(call, Outcomes.Long(), new PlayOptions { StatusUrl = via.WebhookUrl })));
        foreach (var node in Nodes)
        {
            await Outcomes.Eventually(() => handles.All(h => node.Playback.Snapshot(h.CallId).Any(s => s.State == PlaybackState.Playing)), $"node {node.Name} has every call's events");
        }

        return handles;
    }

    /// <summary>Those of <paramref name="handles"/> whose call's actor runs on <paramref name="node"/> right now.</summary>
    public async Task<List<PlaybackHandle>> CallsHostedOnAsync(IEnumerable<PlaybackHandle> handles, ClusterNode node)
    {
        var result = new List<PlaybackHandle>();
        foreach (var handle in handles)
        {
            if (await HostOfAsync(handle.CallId) == node)
            {
                result.Add(handle);
            }
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        // All at once: a test's cluster has nothing left to hand over.
        await Task.WhenAll(Nodes.Select(n => n.DisposeAsync().AsTask()));

        await Emulator.DisposeAsync();
    }
}

/// <summary>One node: an ActorSystem with Playback.Cluster, and a webhook endpoint that hands webhooks to its manager.</summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private LoopbackWebApp _web = null!;

    private ClusterNode(string name, ActorSystem system, PlaybackManager playback)
    {
        Name = name;
        System = system;
        Playback = playback;
    }

    public string Name { get; }

    public ActorSystem System { get; }

    public PlaybackManager Playback { get; }

    public Uri WebhookUrl => new(_web.BaseUrl + "/events");

    public Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;

    public IActorRef Region => ClusterSharding.Get(System).ShardRegion(PlaybackClusterSettings.Default.TypeName);

    /// <summary>Webhooks this node's endpoint received.</summary>
    public int WebhooksReceived => _webhooks;

    private int _webhooks;

    public static async Task<ClusterNode> StartAsync(string name, CallingEmulator emulator, bool hardCrash, bool defaultTimings, string? callsRole = null, bool hasRole = false, PlaybackPersistenceSettings? persistence = null)
    {
        var roles = callsRole is not null && hasRole ? $"akka.cluster.roles = [\"{callsRole}\"]\n" : string.Empty;
        var timings = defaultTimings ? ClusterTestSupport.Housekeeping : ClusterTestSupport.Tuning;
        var config = ConfigurationFactory.ParseString(roles + ClusterConfig(hardCrash) + "\n" + timings).WithFallback(PlaybackClusterSettings.Reference);
        var system = ActorSystem.Create("calls", config);
        var settings = new PlaybackSettings
        {
            BaseUrl = emulator.BaseUrl,
            ProjectId = emulator.ProjectId,
            ApiToken = emulator.ApiToken,
            AskTimeout = defaultTimings ? new PlaybackSettings().AskTimeout : TimeSpan.FromSeconds(40),
            RequestTimeout = TimeSpan.FromSeconds(10),
            IdleTimeout = TimeSpan.FromSeconds(3),
            AllowUntrackedPlays = true, // tests that need webhooks give their plays a status URL
            Persistence = persistence,
        };
        var playback = await PlaybackCluster.StartAsync(system, settings, PlaybackClusterSettings.Default with { Role = callsRole });

        var node = new ClusterNode(name, system, playback);
        node._web = await LoopbackWebApp.StartAsync(map: app => app.MapPost("/events", async (HttpContext context) =>
        {
            Interlocked.Increment(ref node._webhooks);
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString()));
            var url = $"http://{context.Request.Host}{context.Request.Path}{context.Request.QueryString}";
            var result = await playback.HandleWebhookAsync(url, headers, body.ToArray(), context.RequestAborted);
            return result.Status == WebhookStatus.Rejected ? Results.StatusCode(503) : Results.NoContent();
        }));
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        if (!System.WhenTerminated.IsCompleted)
        {
            await Playback.DisposeAsync();
            await System.Terminate();
        }
    }

    /// <summary>A cluster node on a free loopback port; a crashable node terminates without leaving.</summary>
    private static string ClusterConfig(bool hardCrash) => $$"""
        akka {
          actor.provider = cluster
          remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
          coordinated-shutdown.run-by-actor-system-terminate = {{(hardCrash ? "off" : "on")}}
          cluster.run-coordinated-shutdown-when-down = {{(hardCrash ? "off" : "on")}}
        }
        """;
}
