using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Playback.Benchmarks;

/// <summary>A bare Kestrel endpoint on 127.0.0.1 that answers every command 200 and every webhook 204 at once.</summary>
internal sealed class BareServer : IAsyncDisposable
{
    private readonly LoopbackWebApp _web;

    private BareServer(LoopbackWebApp web)
    {
        _web = web;
    }

    public Uri BaseUrl => new(_web.BaseUrl + "/");

    public static async Task<BareServer> StartAsync() =>
        new(await LoopbackWebApp.StartAsync(
            map: app =>
            {
                app.MapPost("/api/calling/calls", async (HttpContext c) =>
                {
                    await c.Request.Body.CopyToAsync(Stream.Null);
                    c.Response.StatusCode = 200;
                });
                app.MapPost("/hook", async (HttpContext c) =>
                {
                    await c.Request.Body.CopyToAsync(Stream.Null);
                    c.Response.StatusCode = 204;
                });
            },
            kestrel: k => k.Limits.MaxConcurrentConnections = 4096));

    public ValueTask DisposeAsync() => _web.DisposeAsync();
}

/// <summary>A fake Calling API that acknowledges at once (for in-process ingestion and memory measurements).</summary>
internal sealed class InstantApi : ICallingApi
{
    public Task PlayAsync(string callId, string controlId, IReadOnlyList<MediaItem> media, PlayOptions options, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PauseAsync(string callId, string controlId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ResumeAsync(string callId, string controlId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(string callId, string controlId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetVolumeAsync(string callId, string controlId, double volume, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Latency statistics in microseconds.</summary>
internal sealed record Latency(double P50, double P99, double Mean)
{
    public static Latency Of(List<double> micros)
    {
        micros.Sort();
        return new Latency(micros[(int)(micros.Count * 0.50)], micros[Math.Min(micros.Count - 1, (int)(micros.Count * 0.99))], micros.Average());
    }

    /// <summary>The median of paired-block ratios (the mean of the middle two for an even count); the list is left as it was.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
