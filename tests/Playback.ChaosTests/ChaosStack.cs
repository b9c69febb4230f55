using System.Net;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Playback.Emulator;
using Playback.Hosting;
using Playback.Testing;

namespace Playback.ChaosTests;

/// <summary>
/// The whole path on loopback, tuned for chaos: an emulator, and a web app with Playback registered through AddPlayback
/// and its webhook endpoint mapped with MapPlaybackWebhooks. The hosting options have no resilience knobs, so the
/// manager is started on the host's ActorSystem with full <see cref="PlaybackSettings"/> through Akka.Hosting's
/// <c>WithPlayback(settings)</c>; AddPlayback then resolves that same manager (checked in <see cref="StartAsync"/>).
/// </summary>
public sealed class ChaosStack : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ChaosStack(CallingEmulator emulator, WebApplication app, PlaybackManager playback, ActorSystem system, string webhookUrl)
    {
        Emulator = emulator;
        _app = app;
        Playback = playback;
        System = system;
        WebhookUrl = webhookUrl;
    }

    public CallingEmulator Emulator { get; }

    public PlaybackManager Playback { get; }

    public ActorSystem System { get; }

    public string WebhookUrl { get; }

    /// <summary>Starts the emulator and the web app; <paramref name="tune"/> adjusts the settings built from the emulator's address and credentials.</summary>
    public static async Task<ChaosStack> StartAsync(EmulatorOptions emulatorOptions, Func<PlaybackSettings, PlaybackSettings> tune)
    {
        var emulator = await CallingEmulator.StartAsync(emulatorOptions);
        try
        {
            var port = Loopback.FreePort();
            var publicBase = $"http://127.0.0.1:{port}";
            const string path = "/signalwire/events";
            var settings = tune(new PlaybackSettings
            {
                BaseUrl = emulator.BaseUrl,
                ProjectId = emulator.ProjectId,
                ApiToken = emulator.ApiToken,
                SigningKey = emulator.SigningKey,
                DefaultStatusUrl = new Uri(publicBase + path),
            });

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
            builder.Services.AddAkka("chaos", akka => akka.WithPlayback(settings));
            builder.Services.AddPlayback(o =>
            {
                o.BaseUrl = emulator.BaseUrl.ToString();
                o.ProjectId = emulator.ProjectId;
                o.ApiToken = emulator.ApiToken;
                o.SigningKey = emulator.SigningKey;
                o.PublicBaseUrl = publicBase;
                o.UseEnvironmentFallback = false;
            });
            var app = builder.Build();
            app.MapPlaybackWebhooks(path);
            await app.StartAsync();
            var playback = app.Services.GetRequiredService<PlaybackManager>();
            if (!Equals(playback.Settings, settings))
            {
                await app.StopAsync();
                throw new InvalidOperationException("AddPlayback resolved a manager without the chaos settings: " + playback.Settings);
            }

            return new ChaosStack(emulator, app, playback, app.Services.GetRequiredService<ActorSystem>(), publicBase + path);
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    public string NewCall() => Emulator.CreateCall(WebhookUrl);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
