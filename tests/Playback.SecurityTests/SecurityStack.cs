using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Playback.Emulator;
using Playback.Hosting;
using Playback.Testing;

namespace Playback.SecurityTests;

/// <summary>
/// The whole path on loopback (adapted from the integration tests' PlaybackStack): an emulator, and a web app with
/// Playback registered through AddPlayback and its webhook endpoint mapped with MapPlaybackWebhooks at
/// <see cref="WebhookPath"/>. The signing key is set, so the signature policy is Required. Plays default their
/// status_url to the endpoint. Every log entry of the web app (Akka's included) goes to <see cref="Logs"/>.
/// </summary>
public sealed class SecurityStack : IAsyncDisposable
{
    public const string WebhookPath = "/signalwire/events";

    private WebApplication? _app;

    private SecurityStack()
    {
    }

    public CallingEmulator Emulator { get; private set; } = null!;

    public PlaybackManager Playback { get; private set; } = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>The public base URL, as configured (<c>http://127.0.0.1:port</c>): the URL webhooks are signed over starts with it.</summary>
    public string PublicBaseUrl { get; private set; } = null!;

    public string WebhookUrl => PublicBaseUrl + WebhookPath;

    public int Port { get; private set; }

    public IServiceProvider Services => _app!.Services;

    /// <summary>Starts an emulator and the web app.</summary>
    /// <param name="emulatorOptions">The emulator's options (credentials, speed).</param>
    /// <param name="configure">Changes to the Playback options after the defaults of the stack (emulator credentials, public base URL).</param>
    public static async Task<SecurityStack> StartAsync(EmulatorOptions? emulatorOptions = null, Action<PlaybackOptions>? configure = null)
    {
        var stack = new SecurityStack();
        try
        {
            stack.Emulator = await CallingEmulator.StartAsync(emulatorOptions ?? new EmulatorOptions { Speed = 20 });
            stack._app = await StartAppAsync(stack.Emulator, stack.Logs, configure, port => stack.Port = port);
            stack.PublicBaseUrl = $"http://127.0.0.1:{stack.Port}";
            stack.Playback = stack._app.Services.GetRequiredService<PlaybackManager>();
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>Builds and starts a web app like the stack's (its start may fail, e.g. with an <c>OptionsValidationException</c>).</summary>
    /// <param name="emulator">The emulator the app's Playback talks to.</param>
    /// <param name="logs">Where every log entry of the app goes.</param>
    /// <param name="configure">Changes to the Playback options.</param>
    /// <param name="portChosen">Told the app's loopback port before it starts.</param>
    /// <param name="services">More services (e.g. an Akka.Hosting ActorSystem).</param>
    public static async Task<WebApplication> StartAppAsync(CallingEmulator emulator, ILoggerProvider logs, Action<PlaybackOptions>? configure, Action<int>? portChosen = null, Action<IServiceCollection>? services = null)
    {
        var port = Loopback.FreePort();
        portChosen?.Invoke(port);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddPlayback(o =>
        {
            o.BaseUrl = emulator.BaseUrl.ToString();
            o.ProjectId = emulator.ProjectId;
            o.ApiToken = emulator.ApiToken;
            o.SigningKey = emulator.SigningKey;
            o.PublicBaseUrl = $"http://127.0.0.1:{port}";
            o.AskTimeout = TimeSpan.FromSeconds(30);
            o.UseEnvironmentFallback = false;
            configure?.Invoke(o);
        });
        services?.Invoke(builder.Services);
        var app = builder.Build();
        try
        {
            app.MapPlaybackWebhooks(WebhookPath);
            await app.StartAsync();
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public string NewCall() => Emulator.CreateCall(WebhookUrl);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }
    }
}
