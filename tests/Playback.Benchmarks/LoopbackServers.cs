using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Playback.Benchmarks;

/// <summary>A bare Kestrel endpoint on 127.0.0.1 that answers every command 200 and every webhook 204 at once.</summary>
internal sealed class BareServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BareServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public static async Task<BareServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxConcurrentConnections = 4096;
        });
        var app = builder.Build();
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
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BareServer(app, new Uri(new Uri(address).GetLeftPart(UriPartial.Authority)));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
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
}
