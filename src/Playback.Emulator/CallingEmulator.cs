using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Playback.Emulator;

/// <summary>
/// A local Calling API (the play commands, dial and end) on Kestrel, bound to 127.0.0.1: validates like the real API,
/// plays media on a clock with a speed factor, sends signed status webhooks, journals everything and injects faults.
/// </summary>
public sealed partial class CallingEmulator : IAsyncDisposable
{
    /// <summary>The path every command is posted to.</summary>
    public const string CommandPath = "/api/calling/calls";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private const int MaxBodyBytes = 1 << 20;

    private readonly WebApplication _app;
    private readonly CallingEngine _engine;
    private readonly WebhookDispatcher _webhooks;
    private readonly CommandParser _parser;
    private readonly ILogger _log;
    private readonly byte[] _expectedAuth;

    private CallingEmulator(EmulatorOptions options, WebApplication app, ILogger log)
    {
        Options = options;
        _app = app;
        _log = log;
        Journal = new EmulatorJournal();
        Faults = new EmulatorFaults(options.Seed);
        _webhooks = new WebhookDispatcher(options, Journal, Faults, log);
        _engine = new CallingEngine(options, _webhooks, log);
        _parser = new CommandParser(options);
        _expectedAuth = Encoding.UTF8.GetBytes("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.ProjectId}:{options.ApiToken}")));
    }

    /// <summary>The options in force.</summary>
    public EmulatorOptions Options { get; }

    /// <summary>The base URL to give Playback (<c>PlaybackSettings.BaseUrl</c>), e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The project id (Basic auth user).</summary>
    public string ProjectId => Options.ProjectId;

    /// <summary>The API token (Basic auth password).</summary>
    public string ApiToken => Options.ApiToken;

    /// <summary>The key webhooks are signed with.</summary>
    public string SigningKey => Options.SigningKey;

    /// <summary>Every request received and webhook sent, and the overlap counter.</summary>
    public EmulatorJournal Journal { get; }

    /// <summary>The fault plan in force (none by default).</summary>
    public EmulatorFaults Faults { get; }

    /// <summary>Starts an emulator on 127.0.0.1 (a free port unless <see cref="EmulatorOptions.Port"/> is set).</summary>
    /// <param name="options">Options; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator; dispose it to stop.</returns>
    public static async Task<CallingEmulator> StartAsync(EmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmulatorOptions();
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(CallingEmulator).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        if (options.LogToConsole)
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        }

        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.Limits.MaxRequestBodySize = MaxBodyBytes;
        });
        var app = builder.Build();
        var emulator = new CallingEmulator(options, app, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Playback.Emulator"));
        emulator.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.BaseUrl = new Uri(new Uri(address).GetLeftPart(UriPartial.Authority));
        return emulator;
    }

    /// <summary>Creates a call in state answered (as <c>dial</c> does).</summary>
    /// <param name="statusUrl">Where the call's <c>calling.call.state</c> webhooks go.</param>
    /// <returns>The call id.</returns>
    public string CreateCall(string? statusUrl = null) => _engine.CreateCall(statusUrl: statusUrl).Id;

    /// <summary>Hangs a call up: its plays finish, <c>calling.call.state</c> <c>ended</c> is posted, later commands get 404.</summary>
    /// <param name="callId">The call.</param>
    /// <returns>False when the call is unknown or already ended.</returns>
    public bool EndCall(string callId) => _engine.EndCall(callId);

    /// <summary>The plays of a call as the emulator sees them (the server's truth).</summary>
    /// <param name="callId">The call.</param>
    /// <returns>Its plays, ended ones included.</returns>
    public IReadOnlyList<EmulatedPlayState> GetPlays(string callId) => _engine.Plays(callId);

    /// <summary>One play as the emulator sees it.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The play.</param>
    /// <returns>The play, or null when unknown.</returns>
    public EmulatedPlayState? GetPlay(string callId, string controlId) => _engine.Plays(callId).FirstOrDefault(p => p.ControlId == controlId);

    /// <summary>Waits until the webhooks queued so far have been sent (at most <paramref name="limit"/>).</summary>
    /// <param name="limit">The longest wait.</param>
    /// <returns>A task that completes when they are out or the limit passed.</returns>
    public Task DrainWebhooksAsync(TimeSpan limit) => _webhooks.DrainAsync(limit);

    /// <summary>Waits until the host is asked to stop (Ctrl+C in the standalone program).</summary>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>A task that completes at shutdown.</returns>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the server after sending the webhooks still queued (at most 2 s).</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _webhooks.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
