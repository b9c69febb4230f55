using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Playback.Emulator;
using Playback.Hosting;
using Playback.Testing;

namespace Playback.IntegrationTests;

/// <summary>
/// The whole path on loopback: an emulator, and a web app with Playback registered through AddPlayback and its webhook
/// endpoint mapped with MapPlaybackWebhooks. Plays default their status_url to that endpoint.
/// </summary>
public sealed class PlaybackStack : IAsyncLifetime
{
    private WebApplication? _app;

    public CallingEmulator Emulator { get; private set; } = null!;

    public PlaybackManager Playback { get; private set; } = null!;

    public string WebhookUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Emulator = await CallingEmulator.StartAsync(new EmulatorOptions { Speed = 20 });
        var port = Loopback.FreePort();
        var publicBase = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddPlayback(o =>
        {
            o.BaseUrl = Emulator.BaseUrl.ToString();
            o.ProjectId = Emulator.ProjectId;
            o.ApiToken = Emulator.ApiToken;
            o.SigningKey = Emulator.SigningKey;
            o.PublicBaseUrl = publicBase;
            o.AskTimeout = TimeSpan.FromSeconds(30);
            o.UseEnvironmentFallback = false;
        });
        _app = builder.Build();
        _app.MapPlaybackWebhooks("/signalwire/events");
        await _app.StartAsync();
        Playback = _app.Services.GetRequiredService<PlaybackManager>();
        WebhookUrl = publicBase + "/signalwire/events";
    }

    public string NewCall() => Emulator.CreateCall(WebhookUrl);

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Emulator.DisposeAsync();
    }
}
