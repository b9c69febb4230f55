using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Akka.Actor;
using Flurl.Http;
using Flurl.Http.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Playback.Emulator;
using Playback.Hosting;
using Playback.Testing;

namespace Playback.Benchmarks;

/// <summary>The end-to-end measurements: raw Flurl vs the actor path on the same loopback server, ingestion, memory.</summary>
internal sealed class EndToEnd(bool quick, Report report, string? only = null)
{
    private const string ProjectId = "bench-project";
    private const string Token = "bench-token";

    private int LatencySamples => quick ? 2_000 : 10_000;

    private int ThroughputRequests => quick ? 20_000 : 100_000;

    public async Task RunAsync()
    {
        await using var bare = await BareServer.StartAsync();
        await using var emulator = await CallingEmulator.StartAsync(new EmulatorOptions { ProjectId = ProjectId, ApiToken = Token });
        using var system = ActorSystem.Create("bench", "akka.loglevel = ERROR");
        SchedulerWarmup.Run(system); // the managers do it too; here before anything measured touches the fresh system

        bool Run(string section) => only is null || only == section;
        if (Run("latency"))
        {
            await LatencyAsync(system, "bare Kestrel (200 at once)", bare.BaseUrl, null);
            await LatencyAsync(system, "emulator", emulator.BaseUrl, emulator);
            await Observability.RunAsync(system, Settings(bare.BaseUrl), LatencySamples, report);
        }

        if (Run("throughput"))
        {
            await ThroughputAsync(system, bare.BaseUrl);
            await PoolSizesAsync(system, bare.BaseUrl);
        }

        if (Run("ingestion"))
        {
            await IngestionInProcessAsync(system);
            await IngestionOverHttpAsync(bare);
        }

        if (Run("persistence"))
        {
            await Persistence.RunAsync(Settings(bare.BaseUrl), LatencySamples, 10_000, report);
        }

        if (Run("memory"))
        {
            await MemoryAsync();
        }
    }

    private static PlaybackSettings Settings(Uri baseUrl, int pool = 128, bool rateLimit = true) => new()
    {
        ProjectId = ProjectId,
        ApiToken = Token,
        BaseUrl = baseUrl,
        MaxConnections = pool,
        AskTimeout = TimeSpan.FromMinutes(5),
        AllowUntrackedPlays = true, // the servers send no webhooks anywhere: what is measured is the command path
        Resilience = new ResilienceSettings { RateLimit = rateLimit ? 13_800 : 0, CommandDeadline = TimeSpan.FromMinutes(4) },
    };

    private static IFlurlClient RawClient(Uri baseUrl, int pool)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = pool, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        var client = new FlurlClient(http, baseUrl.AbsoluteUri);
        client.Settings.JsonSerializer = new DefaultJsonSerializer(WireJsonContext.Default.Options);
        client.WithBasicAuth(ProjectId, Token).WithHeader("Accept", "application/json").WithHeader("User-Agent", CallingApi.UserAgent);
        return client;
    }

    private static Task RawVolumeAsync(IFlurlClient client, string callId, string controlId, double volume) =>
        client.Request("api", "calling", "calls").PostJsonAsync(new CallCommandBody<VolumeParams>(callId, CallingApi.Commands.Volume, new VolumeParams(controlId, volume)));

    private async Task LatencyAsync(ActorSystem system, string server, Uri baseUrl, CallingEmulator? emulator)
    {
        var callId = emulator?.CreateCall() ?? "call-latency";
        var raw = RawClient(baseUrl, 128);
        await using var manager = PlaybackManager.Create(system, Settings(baseUrl));
        var handle = await manager.PlayAsync(callId, [Media.Ringtone("us")]);
        var volumes = Enumerable.Range(0, LatencySamples).Select(i => (double)(i % 80) - 40).ToArray();

        // Warm both paths, then interleave blocks so that both see the same machine state.
        for (var i = 0; i < 300; i++)
        {
            await RawVolumeAsync(raw, callId, handle.ControlId, volumes[i]);
            await manager.SetVolumeAsync(callId, handle.ControlId, volumes[i]);
        }

        var rawSamples = new List<double>(LatencySamples);
        var actorSamples = new List<double>(LatencySamples);
        for (var block = 0; block < LatencySamples; block += 100)
        {
            for (var i = block; i < block + 100; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await RawVolumeAsync(raw, callId, handle.ControlId, volumes[i]);
                rawSamples.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            }

            for (var i = block; i < block + 100; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await manager.SetVolumeAsync(callId, handle.ControlId, volumes[i]);
                actorSamples.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            }
        }

        var a = Latency.Of(rawSamples);
        var b = Latency.Of(actorSamples);
        report.Latency(server, a, b);
        raw.Dispose();
    }

    private async Task ThroughputAsync(ActorSystem system, Uri baseUrl)
    {
        foreach (var calls in new[] { 1_000, 10_000 })
        {
            var perCall = Math.Max(1, ThroughputRequests / calls);
            var rawRate = await RawThroughputAsync(baseUrl, calls, perCall, 128);
            var actorRate = await ActorThroughputAsync(system, baseUrl, calls, perCall, 128, rateLimit: false);
            report.Throughput(calls, 128, rawRate, actorRate);
        }

        // The account rate limiter on (its default), for reference: it caps at SignalWire's 13,800 per 10 s by design.
        var limited = await ActorThroughputAsync(system, baseUrl, 1_000, Math.Max(1, 10_000 / 1_000), 128, rateLimit: true);
        report.Note($"With the default account rate limiter on, 1,000 calls reach {limited:N0} commands/s (limit 1,380/s plus a burst of 1,380).");
    }

    private async Task PoolSizesAsync(ActorSystem system, Uri baseUrl)
    {
        foreach (var pool in new[] { 16, 64, 128, 256 })
        {
            var perCall = Math.Max(1, ThroughputRequests / 1_000);
            var raw = await RawThroughputAsync(baseUrl, 1_000, perCall, pool);
            var actor = await ActorThroughputAsync(system, baseUrl, 1_000, perCall, pool, rateLimit: false);
            report.Pool(pool, raw, actor);
        }
    }

    private static async Task<double> RawThroughputAsync(Uri baseUrl, int calls, int perCall, int pool)
    {
        using var client = RawClient(baseUrl, pool);
        await Task.WhenAll(Enumerable.Range(0, Math.Min(calls, 200)).Select(i => RawVolumeAsync(client, "warm-" + i, "c", 0)));
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, calls).Select(async i =>
        {
            for (var k = 0; k < perCall; k++)
            {
                await RawVolumeAsync(client, "call-" + i, "c-" + i, k % 40);
            }
        }));
        return calls * perCall / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> ActorThroughputAsync(ActorSystem system, Uri baseUrl, int calls, int perCall, int pool, bool rateLimit)
    {
        await using var manager = PlaybackManager.Create(system, Settings(baseUrl, pool, rateLimit));
        var handles = await Task.WhenAll(Enumerable.Range(0, calls).Select(i => manager.PlayAsync("call-" + i, [Media.Ringtone("us")])));
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(handles.Select(async h =>
        {
            for (var k = 0; k < perCall; k++)
            {
                await h.SetVolumeAsync(k % 40);
            }
        }));
        return calls * perCall / sw.Elapsed.TotalSeconds;
    }

    private async Task IngestionInProcessAsync(ActorSystem system)
    {
        const int calls = 10_000;
        var rounds = quick ? 10 : 40;
        await using var manager = PlaybackManager.Create(system, new PlaybackSettings { SignaturePolicy = WebhookSignaturePolicy.Off, AskTimeout = TimeSpan.FromMinutes(5), AllowUntrackedPlays = true }, new InstantApi());
        var handles = await Task.WhenAll(Enumerable.Range(0, calls).Select(i => manager.PlayAsync("in-" + i, [Media.Ringtone("us")])));
        var bodies = Bodies(handles, rounds, "in-");
        long published = 0;
        using var subscription = manager.Events.Subscribe(_ => Interlocked.Increment(ref published));
        var sw = Stopwatch.StartNew();
        await FeedAsync(bodies, 32, body => manager.HandleWebhookAsync("https://x/hook", [], body));
        var routed = sw.Elapsed;
        while (Interlocked.Read(ref published) < bodies.Count && sw.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(5);
        }

        report.Ingestion("in process: parse + route + transition + Rx publish (10,000 calls)", bodies.Count / sw.Elapsed.TotalSeconds, $"{bodies.Count:N0} events; routed in {routed.TotalSeconds:0.00} s, all delivered to a subscriber in {sw.Elapsed.TotalSeconds:0.00} s");
    }

    private async Task IngestionOverHttpAsync(BareServer bare)
    {
        const int calls = 2_000;
        var rounds = quick ? 5 : 20;
        const string key = "PSKbench";
        await using var web = await LoopbackWebApp.StartAsync(
            (builder, baseUrl) => builder.Services.AddPlayback(o =>
            {
                o.ProjectId = ProjectId;
                o.ApiToken = Token;
                o.BaseUrl = bare.BaseUrl.ToString();
                o.SigningKey = key;
                o.PublicBaseUrl = baseUrl;
                o.UseEnvironmentFallback = false;
            }),
            app => app.MapPlaybackWebhooks("/signalwire/events"));
        var publicBase = web.BaseUrl;
        var manager = web.Services.GetRequiredService<PlaybackManager>();
        var handles = await Task.WhenAll(Enumerable.Range(0, calls).Select(i => manager.PlayAsync("http-" + i, [Media.Ringtone("us")])));
        var bodies = Bodies(handles, rounds, "http-");
        var url = publicBase + "/signalwire/events";
        var signed = bodies.Select(b => (Body: b, Signature: WebhookSignature.ComputeSha256(key, url, b))).ToList();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 });

        var sw = Stopwatch.StartNew();
        await FeedAsync(signed, 64, s => Post(http, url, s.Body, s.Signature));
        var playbackRate = signed.Count / sw.Elapsed.TotalSeconds;
        sw.Restart();
        await FeedAsync(signed, 64, s => Post(http, bare.BaseUrl + "hook", s.Body, s.Signature));
        var bareRate = signed.Count / sw.Elapsed.TotalSeconds;
        report.Ingestion("over HTTP: MapPlaybackWebhooks (signature + route + transition + publish)", playbackRate, $"{signed.Count:N0} signed webhooks, 64 connections");
        report.Ingestion("over HTTP: bare Kestrel endpoint answering 204", bareRate, $"ratio {playbackRate / bareRate:0.00}");
        await web.StopAsync();
    }

    private async Task MemoryAsync()
    {
        var calls = 100_000;
        using var system = ActorSystem.Create("bench-memory", Environment.GetEnvironmentVariable("BENCH_AKKA_LOG") ?? "akka.loglevel = ERROR");
        SchedulerWarmup.Run(system);
        await using var manager = PlaybackManager.Create(system, new PlaybackSettings { IdleTimeout = TimeSpan.FromSeconds(8), AllowUntrackedPlays = true, AskTimeout = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("BENCH_ASK_SECONDS") ?? "300")) }, new InstantApi());
        var before = Heap();
        var handles = await Batched(calls, i => manager.PlayAsync("mem-" + i, [Media.Tts("Please hold")], new PlayOptions { Loop = 0 }));
        var active = Heap();
        await Batched(calls, i => handles[i].StopAsync());
        handles = [];
        var idle = Heap();
        var sw = Stopwatch.StartNew();
        while (manager.Statistics.ActiveCalls > 0 && sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(250);
        }

        var passivated = Heap();
        report.Memory(calls, (active - before) / (double)calls, (idle - before) / (double)calls, (passivated - before) / (double)calls, active - before);
    }

    private static async Task<T[]> Batched<T>(int count, Func<int, Task<T>> op)
    {
        var results = new T[count];
        for (var start = 0; start < count; start += 5_000)
        {
            var end = Math.Min(count, start + 5_000);
            var batch = await Task.WhenAll(Enumerable.Range(start, end - start).Select(op));
            batch.CopyTo(results, start);
        }

        return results;
    }

    private static long Heap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static List<byte[]> Bodies(PlaybackHandle[] handles, int rounds, string prefix)
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds() / 1000.0;
        var bodies = new List<byte[]>(handles.Length * rounds);
        for (var r = 0; r < rounds; r++)
        {
            var state = r % 2 == 0 ? "paused" : "playing";
            var ts = (start + r).ToString(CultureInfo.InvariantCulture);
            foreach (var h in handles)
            {
                bodies.Add(Encoding.UTF8.GetBytes($$$"""{"event_type":"calling.call.play","timestamp":{{{ts}}},"params":{"call_id":"{{{h.CallId}}}","control_id":"{{{h.ControlId}}}","state":"{{{state}}}"}}"""));
            }
        }

        return bodies;
    }

    private static async Task FeedAsync<T>(IReadOnlyList<T> items, int workers, Func<T, Task> send)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < items.Count)
            {
                await send(items[i]);
            }
        }));
    }

    private static async Task Post(HttpClient http, string url, byte[] body, string signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(WebhookSignature.Sha256Header, signature);
        using var response = await http.SendAsync(request);
        if ((int)response.StatusCode >= 300)
        {
            throw new InvalidOperationException($"webhook answered {(int)response.StatusCode}");
        }
    }
}
