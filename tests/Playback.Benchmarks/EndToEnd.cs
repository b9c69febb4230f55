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

    private TimeSpan WarmUp => TimeSpan.FromSeconds(quick ? 5 : 10);

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
            // 10,000 per variant even in a quick run (about 15 s): a few percent of a p50 is below the noise of 20 blocks.
            await Observability.RunAsync(system, LatencySettings(bare.BaseUrl), 10_000, report);
        }

        if (Run("throughput"))
        {
            await ThroughputAsync(system, bare.BaseUrl);
            if (Environment.GetEnvironmentVariable("BENCH_PROFILE_SECONDS") is null)
            {
                await PoolSizesAsync(system, bare.BaseUrl);
            }
        }

        if (Run("ingestion"))
        {
            await new WebhookIngestion(quick, report).RunAsync(system, bare);
        }

        if (Run("persistence"))
        {
            await Persistence.RunAsync(LatencySettings(bare.BaseUrl), emulator, LatencySamples, 10_000, report);
        }

        if (Run("memory"))
        {
            await MemoryAsync();
        }
    }

    /// <summary>
    /// A rate limit no sequential benchmark reaches: the limiter's token bucket runs on every command (its cost is
    /// measured) but never makes one wait. With the account default (13,800 per 10 s) a sequential loop faster than
    /// 1,380 commands a second waits for tokens: until 2026-11-30 the latency figures measured those waits, not Playback.
    /// </summary>
    internal const int UnthrottledRateLimit = 100_000_000;

    /// <summary>Settings for the latency parts: the rate limiter on, at <see cref="UnthrottledRateLimit"/>.</summary>
    internal static PlaybackSettings LatencySettings(Uri baseUrl) =>
        Settings(baseUrl) with { Resilience = new ResilienceSettings { RateLimit = UnthrottledRateLimit, CommandDeadline = TimeSpan.FromMinutes(4) } };

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
        await using var manager = PlaybackManager.Create(system, LatencySettings(baseUrl));
        var handle = await manager.PlayAsync(callId, [Media.Ringtone("us")]);
        var volumes = Enumerable.Range(0, LatencySamples).Select(i => (double)(i % 80) - 40).ToArray();

        // Warm both paths until the JIT has tiered them up (a few seconds of a fresh process: measured earlier, both paths
        // were 2-3 times slower than in steady state), then interleave blocks so that both see the same machine state.
        var warm = Stopwatch.StartNew();
        for (var i = 0; i < 300 || warm.Elapsed < WarmUp; i++)
        {
            await RawVolumeAsync(raw, callId, handle.ControlId, volumes[i % volumes.Length]);
            await manager.SetVolumeAsync(callId, handle.ControlId, volumes[i % volumes.Length]);
        }

        // BENCH_PROFILE_SECONDS=N: only the actor path (or, with BENCH_PROFILE_RAW=1, raw Flurl) against the bare endpoint,
        // for N seconds, for a profiler to attach to (the process id is printed first).
        if (emulator is null && int.TryParse(Environment.GetEnvironmentVariable("BENCH_PROFILE_SECONDS"), out var seconds))
        {
            var rawOnly = Environment.GetEnvironmentVariable("BENCH_PROFILE_RAW") == "1";
            using var traces = Environment.GetEnvironmentVariable("BENCH_PROFILE_TRACES") == "1" ? Observability.Record(() => { }) : null;
            Console.WriteLine($"profiling {(rawOnly ? "raw Flurl" : "the actor path")}{(traces is null ? "" : " with Playback's activities recorded")} for {seconds} s in process {Environment.ProcessId}");
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var bytes = GC.GetTotalAllocatedBytes(precise: true);
            var until = Stopwatch.StartNew();
            var n = 0;
            while (until.Elapsed.TotalSeconds < seconds)
            {
                var volume = volumes[n % volumes.Length];
                await (rawOnly ? RawVolumeAsync(raw, callId, handle.ControlId, volume) : manager.SetVolumeAsync(callId, handle.ControlId, volume));
                n++;
            }

            Console.WriteLine($"profiled {n:N0} commands ({until.Elapsed.TotalMicroseconds / n:0} µs each; {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / n:0} µs CPU and {(GC.GetTotalAllocatedBytes(precise: true) - bytes) / n:N0} B allocated per command, server included)");
            return;
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
        // Warm both paths first, as the latency part does: run on its own (--only throughput), this part measured the JIT
        // tiering both up (both 1.3-2.5 times slower in the first rounds than from the fifth on).
        var warm = Stopwatch.StartNew();
        do
        {
            await RawThroughputAsync(baseUrl, 1_000, 4, 128);
            await ActorThroughputAsync(system, baseUrl, 1_000, 4, 128, rateLimit: false);
        }
        while (warm.Elapsed < WarmUp);

        // BENCH_PROFILE_SECONDS=N: only the actor path (or, with BENCH_PROFILE_RAW=1, raw Flurl) at 10,000 calls, rounds for
        // N seconds, for a profiler to attach to (the process id is printed first).
        if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_PROFILE_SECONDS"), out var seconds))
        {
            var rawOnly = Environment.GetEnvironmentVariable("BENCH_PROFILE_RAW") == "1";
            Console.WriteLine($"profiling {(rawOnly ? "raw Flurl" : "the actor path")} at 10,000 calls for {seconds} s in process {Environment.ProcessId}");
            await using var manager = PlaybackManager.Create(system, Settings(baseUrl, 128, rateLimit: false));
            var handles = await Task.WhenAll(Enumerable.Range(0, 10_000).Select(i => manager.PlayAsync("call-" + i, [Media.Ringtone("us")])));
            var until = Stopwatch.StartNew();
            var rates = new List<double>();
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var (gen0, gen1, gen2, paused) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            while (until.Elapsed.TotalSeconds < seconds)
            {
                rates.Add(rawOnly ? await RawThroughputAsync(baseUrl, 10_000, 2, 128) : await VolumeRoundAsync(handles, 2));
            }

            var commands = rates.Count * 20_000.0;
            Console.WriteLine($"profiled {rates.Count} rounds: {string.Join(", ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} commands/s; " +
                $"{(GC.GetTotalAllocatedBytes(precise: true) - allocated) / commands:N0} B allocated and {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / commands:N1} µs process CPU per command (server included); " +
                $"GCs gen0/1/2 {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}, paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:N0} ms in {until.Elapsed.TotalSeconds:N0} s");
            return;
        }

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

    /// <summary>Commands per second of one round: <paramref name="perCall"/> volume changes on each of <paramref name="handles"/> at once.</summary>
    private static async Task<double> VolumeRoundAsync(PlaybackHandle[] handles, int perCall)
    {
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(handles.Select(async h =>
        {
            for (var k = 0; k < perCall; k++)
            {
                await h.SetVolumeAsync(k % 40);
            }
        }));
        return handles.Length * perCall / sw.Elapsed.TotalSeconds;
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
}
