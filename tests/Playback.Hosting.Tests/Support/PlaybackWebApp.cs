using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Playback.Emulator;
using Playback.Testing;

namespace Playback.Hosting.Tests;

/// <summary>
/// A real ASP.NET Core app on Kestrel at 127.0.0.1 with <c>AddPlayback</c> pointed at an emulator and
/// <c>MapPlaybackWebhooks</c> mapped. Its <see cref="PlaybackOptions.PublicBaseUrl"/> is its own address: the port is
/// picked before the app is built, because the options are validated (and cached) before Kestrel binds.
/// </summary>
internal sealed class PlaybackWebApp : IAsyncDisposable
{
    public const string WebhookPath = "/signalwire/events";

    private PlaybackWebApp(WebApplication app, string baseUrl, CapturingLoggerProvider logs)
    {
        App = app;
        BaseUrl = baseUrl;
        Logs = logs;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl) };
    }

    public WebApplication App { get; }

    /// <summary>The app's own address, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash); also its PublicBaseUrl unless a test changes it.</summary>
    public string BaseUrl { get; }

    public string WebhookUrl => BaseUrl + WebhookPath;

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => App.Services;

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
        for (var attempt = 1; ; attempt++)
        {
            var port = Loopback.FreePort();
            var baseUrl = $"http://127.0.0.1:{port}";
            var logs = new CapturingLoggerProvider();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(logs);
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
            if (register is null)
            {
                builder.Services.AddPlayback(o =>
                {
                    o.UseEmulator(emulator);
                    o.PublicBaseUrl = baseUrl;
                    configure?.Invoke(o);
                });
            }
            else
            {
                register(builder, baseUrl);
            }

            var app = builder.Build();
            beforeEndpoints?.Invoke(app);
            if (mapEndpoint is null)
            {
                app.MapPlaybackWebhooks(WebhookPath);
            }
            else
            {
                mapEndpoint(app);
            }

            try
            {
                await app.StartAsync();
                return new PlaybackWebApp(app, baseUrl, logs);
            }
            catch (Exception e)
            {
                await app.DisposeAsync();
                if (e is not IOException || attempt >= 5)
                {
                    throw;
                }

                // Another process took the port between picking and binding it: pick another one.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
