using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Playback.Testing;

/// <summary>
/// A real ASP.NET Core app on Kestrel at 127.0.0.1. The socket is bound (port 0) before the app is built and handed to
/// Kestrel, so the app's own address is known to its configuration (a public base URL validated at start) and no other
/// process can take the port in between.
/// </summary>
public sealed class LoopbackWebApp : IAsyncDisposable
{
    private bool _stopped;

    private LoopbackWebApp(WebApplication app, int port)
    {
        App = app;
        Port = port;
        BaseUrl = $"http://127.0.0.1:{port}";
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
    }

    /// <summary>The running app.</summary>
    public WebApplication App { get; }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>Its address, <c>http://127.0.0.1:port</c> (no trailing slash).</summary>
    public string BaseUrl { get; }

    /// <summary>A client with <see cref="BaseUrl"/> as base address.</summary>
    public HttpClient Http { get; }

    /// <summary>The app's services.</summary>
    public IServiceProvider Services => App.Services;

    /// <summary>Builds and starts an app.</summary>
    /// <param name="configure">Registers services; gets the app's base URL (<c>http://127.0.0.1:port</c>).</param>
    /// <param name="map">Adds middleware and endpoints.</param>
    /// <param name="logs">Where every log entry goes, at every level (none when null).</param>
    /// <param name="kestrel">More Kestrel options (limits).</param>
    /// <returns>The running app; dispose it to stop.</returns>
    public static async Task<LoopbackWebApp> StartAsync(
        Action<WebApplicationBuilder, string>? configure = null,
        Action<WebApplication>? map = null,
        ILoggerProvider? logs = null,
        Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>? kestrel = null)
    {
        var socket = Loopback.BindSocket();
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        WebApplication? app = null;
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            if (logs is not null)
            {
                builder.Logging.SetMinimumLevel(LogLevel.Trace);
                builder.Logging.AddProvider(logs);
            }

            // Kestrel listens on the socket bound above (and disposes it when it stops) instead of binding the port again.
            builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = _ => socket);
            builder.WebHost.UseKestrel(k =>
            {
                k.Listen(IPAddress.Loopback, port);
                kestrel?.Invoke(k);
            });
            configure?.Invoke(builder, $"http://127.0.0.1:{port}");
            app = builder.Build();
            map?.Invoke(app);
            await app.StartAsync();
            return new LoopbackWebApp(app, port);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stops the app gracefully (its hosted services stop; Kestrel closes the socket).</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await App.StopAsync();
        }
    }

    /// <summary>Stops the app if not yet stopped, and disposes it.</summary>
    /// <returns>A task that completes when disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await StopAsync();
        await App.DisposeAsync();
    }
}
