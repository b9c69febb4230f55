using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Playback.Emulator;
using Playback.Hosting;

namespace Playback.Testing;

/// <summary>How a <see cref="LoopbackStack"/> (or an app of <see cref="LoopbackStack.StartAppAsync"/>) is made; every member is optional.</summary>
public sealed class LoopbackStackOptions
{
    /// <summary>The emulator's options (credentials, speed, dialect, faults). Default: speed 20.</summary>
    public EmulatorOptions Emulator { get; set; } = new() { Speed = 20 };

    /// <summary>Changes to the Playback options after the stack's (<see cref="PlaybackTesting.UseEmulator"/>, public base URL = the app's address).</summary>
    public Action<PlaybackOptions>? Playback { get; set; }

    /// <summary>
    /// When set, the manager is started on the host's ActorSystem through Akka.Hosting's <c>WithPlayback(settings)</c> with
    /// the full <see cref="PlaybackSettings"/> this returns (it gets the emulator's address, credentials, signing key and the
    /// app's webhook URL as default status URL); <c>AddPlayback</c> then resolves that same manager (checked at start).
    /// </summary>
    public Func<PlaybackSettings, PlaybackSettings>? Settings { get; set; }

    /// <summary>Replaces the stack's registration of Playback (gets the app's base URL).</summary>
    public Action<WebApplicationBuilder, string>? Register { get; set; }

    /// <summary>More services (e.g. an Akka.Hosting ActorSystem).</summary>
    public Action<IServiceCollection>? Services { get; set; }

    /// <summary>Middleware added before the endpoint.</summary>
    public Action<WebApplication>? BeforeEndpoints { get; set; }

    /// <summary>Replaces the endpoint (default: <c>MapPlaybackWebhooks(LoopbackStack.WebhookPath)</c>).</summary>
    public Action<WebApplication>? MapEndpoints { get; set; }

    /// <summary>Where every log entry of the app goes, at every level (Akka's too, through the logger bridge); none when null.</summary>
    public CapturingLoggerProvider? Logs { get; set; }
}

/// <summary>
/// The whole path on loopback: an emulator, and a web app with Playback registered through <c>AddPlayback</c> and its
/// webhook endpoint mapped with <c>MapPlaybackWebhooks</c> at <see cref="WebhookPath"/>. Plays default their status_url to
/// that endpoint. Made by <see cref="StartAsync"/>; every difference between test projects is an option.
/// </summary>
public sealed class LoopbackStack : IAsyncDisposable
{
    /// <summary>Where the webhook endpoint is mapped.</summary>
    public const string WebhookPath = "/signalwire/events";

    private LoopbackStack(CallingEmulator emulator, LoopbackWebApp web, CapturingLoggerProvider? logs)
    {
        Emulator = emulator;
        Web = web;
        Logs = logs;
        Playback = web.Services.GetRequiredService<PlaybackManager>();
    }

    /// <summary>Every log entry of the web app, when <see cref="LoopbackStackOptions.Logs"/> was set.</summary>
    public CapturingLoggerProvider? Logs { get; }

    /// <summary>The emulator.</summary>
    public CallingEmulator Emulator { get; }

    /// <summary>The web app.</summary>
    public LoopbackWebApp Web { get; }

    /// <summary>The manager the app resolves.</summary>
    public PlaybackManager Playback { get; }

    /// <summary>The app's address and public base URL, <c>http://127.0.0.1:port</c>: the URL webhooks are signed over starts with it.</summary>
    public string PublicBaseUrl => Web.BaseUrl;

    /// <summary>The webhook endpoint's URL.</summary>
    public string WebhookUrl => Web.BaseUrl + WebhookPath;

    /// <summary>The app's port.</summary>
    public int Port => Web.Port;

    /// <summary>The app's services.</summary>
    public IServiceProvider Services => Web.Services;

    /// <summary>The ActorSystem the app's services hold.</summary>
    public ActorSystem System => Services.GetRequiredService<ActorSystem>();

    /// <summary>Starts an emulator and the web app.</summary>
    /// <param name="configure">Changes to the defaults.</param>
    /// <returns>The running stack; dispose it to stop both.</returns>
    public static async Task<LoopbackStack> StartAsync(Action<LoopbackStackOptions>? configure = null)
    {
        var options = new LoopbackStackOptions();
        configure?.Invoke(options);
        var emulator = await CallingEmulator.StartAsync(options.Emulator);
        try
        {
            return new LoopbackStack(emulator, await StartWebAsync(emulator, options), options.Logs);
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>Builds and starts a web app like the stack's on an emulator that the caller owns (its start may fail, e.g. with an <c>OptionsValidationException</c>).</summary>
    /// <param name="emulator">The emulator the app's Playback talks to.</param>
    /// <param name="configure">Changes to the defaults (<see cref="LoopbackStackOptions.Emulator"/> is not used).</param>
    /// <returns>The running app.</returns>
    public static Task<LoopbackWebApp> StartAppAsync(CallingEmulator emulator, Action<LoopbackStackOptions>? configure = null)
    {
        var options = new LoopbackStackOptions();
        configure?.Invoke(options);
        return StartWebAsync(emulator, options);
    }

    /// <summary>A new call on the emulator whose call events go to the webhook endpoint.</summary>
    /// <returns>The call id.</returns>
    public string NewCall() => Emulator.CreateCall(WebhookUrl);

    /// <summary>Stops the app, then the emulator.</summary>
    /// <returns>A task that completes when both stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await Web.DisposeAsync();
        await Emulator.DisposeAsync();
    }

    private static async Task<LoopbackWebApp> StartWebAsync(CallingEmulator emulator, LoopbackStackOptions options)
    {
        PlaybackSettings? settings = null;
        var web = await LoopbackWebApp.StartAsync(
            (builder, baseUrl) =>
            {
                if (options.Register is not null)
                {
                    options.Register(builder, baseUrl);
                }
                else
                {
                    if (options.Settings is not null)
                    {
                        settings = options.Settings(PlaybackTesting.Settings(emulator) with { DefaultStatusUrl = new Uri(baseUrl + WebhookPath) });
                        var chosen = settings;
                        builder.Services.AddAkka("loopback", akka => akka.WithPlayback(chosen));
                    }

                    builder.Services.AddPlayback(o =>
                    {
                        o.UseEmulator(emulator);
                        o.PublicBaseUrl = baseUrl;
                        options.Playback?.Invoke(o);
                    });
                }

                options.Services?.Invoke(builder.Services);
            },
            app =>
            {
                options.BeforeEndpoints?.Invoke(app);
                if (options.MapEndpoints is null)
                {
                    app.MapPlaybackWebhooks(WebhookPath);
                }
                else
                {
                    options.MapEndpoints(app);
                }
            },
            options.Logs);
        if (settings is not null && !Equals(web.Services.GetRequiredService<PlaybackManager>().Settings, settings))
        {
            await web.DisposeAsync();
            throw new InvalidOperationException("AddPlayback resolved a manager without the stack's settings: " + settings);
        }

        return web;
    }
}
