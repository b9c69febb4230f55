using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Playback.Emulator;

namespace Playback.Hosting.Tests;

/// <summary>
/// The shared loopback web app (<see cref="LoopbackStack.StartAppAsync"/>) on an emulator the test owns, with
/// <c>AddPlayback</c> (<see cref="TestSupport.UseEmulator"/>) and <c>MapPlaybackWebhooks</c>, every log entry in
/// <see cref="Logs"/>. Its <see cref="PlaybackOptions.PublicBaseUrl"/> is its own address.
/// </summary>
internal sealed class PlaybackWebApp : IAsyncDisposable
{
    public const string WebhookPath = LoopbackStack.WebhookPath;

    private readonly LoopbackWebApp _web;

    private PlaybackWebApp(LoopbackWebApp web, CapturingLoggerProvider logs)
    {
        _web = web;
        Logs = logs;
    }

    public WebApplication App => _web.App;

    /// <summary>The app's own address, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash); also its PublicBaseUrl unless a test changes it.</summary>
    public string BaseUrl => _web.BaseUrl;

    public string WebhookUrl => BaseUrl + WebhookPath;

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Http => _web.Http;

    public IServiceProvider Services => _web.Services;

    public PlaybackManager Playback => Services.GetRequiredService<PlaybackManager>();

    /// <summary>
    /// Builds and starts the app. <paramref name="configure"/> runs after the emulator defaults; <paramref name="beforeEndpoints"/>
    /// can add middleware; <paramref name="mapEndpoint"/> maps the endpoint (default: <c>MapPlaybackWebhooks("/signalwire/events")</c>);
    /// <paramref name="register"/> replaces the default registration (<c>AddPlayback</c> with the emulator's options and
    /// <paramref name="configure"/>) and gets the app's base URL.
    /// </summary>
    public static async Task<PlaybackWebApp> StartAsync(
        CallingEmulator emulator,
        Action<PlaybackOptions>? configure = null,
        Action<WebApplication>? beforeEndpoints = null,
        Action<WebApplication>? mapEndpoint = null,
        Action<WebApplicationBuilder, string>? register = null)
    {
        var logs = new CapturingLoggerProvider();
        var web = await LoopbackStack.StartAppAsync(emulator, o =>
        {
            o.Logs = logs;
            o.Playback = p =>
            {
                p.UseEmulator(emulator);
                configure?.Invoke(p);
            };
            o.Register = register;
            o.BeforeEndpoints = beforeEndpoints;
            o.MapEndpoints = mapEndpoint;
        });
        return new PlaybackWebApp(web, logs);
    }

    public ValueTask DisposeAsync() => _web.DisposeAsync();
}
