// A call-control service with Playback embedded: ASP.NET Core + Akka.Hosting, an HTTP API to control hold music
// per call, a server-sent-events stream of playback events, the SignalWire webhook endpoint and a health check.
//
//   dotnet run --project samples/CallControlService
//
// Without SignalWire credentials (Playback:ProjectId / SIGNALWIRE_PROJECT_ID …) it starts the embedded Calling API
// emulator and POST /calls creates a call there. With credentials it talks to your space; set Playback:PublicBaseUrl
// to the public URL SignalWire reaches this service at, and Playback:SigningKey (or SIGNALWIRE_SIGNING_KEY): without a
// key the webhook endpoint refuses to start. Three instances as one cluster on this machine, sharing one
// standalone emulator: samples/CallControlService/run-cluster.sh.
//
// Observability: Playback's metrics (and ASP.NET Core's) in the Prometheus format on GET /metrics; with --traces, every
// Playback activity (one per command and per webhook) is written to the console.
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Hosting;
using Playback;
using Playback.Emulator;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Playback.Hosting;

var traces = args.Contains("--traces");
var builder = WebApplication.CreateBuilder(args.Where(a => a != "--traces").ToArray());
var telemetry = builder.Services.AddOpenTelemetry()
    .WithMetrics(metrics => metrics.AddPlaybackInstrumentation().AddPrometheusExporter());
if (traces)
{
    // ASP.NET Core's request activities (the parents of Playback's, which the default parent-based sampler follows) and
    // HttpClient's (the requests to the Calling API, children of Playback's) come from the runtime's own sources.
    telemetry.WithTracing(tracing => tracing.AddSource("Microsoft.AspNetCore", "System.Net.Http").AddPlaybackInstrumentation().AddConsoleExporter());
}

var playbackSection = builder.Configuration.GetSection("Playback");
var hasCredentials = !string.IsNullOrEmpty(playbackSection["ProjectId"] ?? Environment.GetEnvironmentVariable("SIGNALWIRE_PROJECT_ID"));
var emulator = hasCredentials ? null : await CallingEmulator.StartAsync(new EmulatorOptions { Speed = 5 });

void UseEmulator(PlaybackOptions o)
{
    if (emulator is not null)
    {
        o.BaseUrl = emulator.BaseUrl.ToString();
        o.ProjectId = emulator.ProjectId;
        o.ApiToken = emulator.ApiToken;
        o.SigningKey = emulator.SigningKey; // the emulator signs its webhooks with it; a mapped endpoint needs a key
    }
}

// With a Playback:Cluster section (seed nodes, port …) the service is one node of an Akka.Cluster: each call's actor lives
// on one node, and commands, webhooks and event streams work on every node. See run-cluster.sh.
var clusterSection = playbackSection.GetSection("Cluster");
if (clusterSection.Exists())
{
    var options = playbackSection.Get<PlaybackOptions>() ?? new PlaybackOptions();
    UseEmulator(options);
    builder.Services.Configure<PlaybackOptions>(playbackSection);
    builder.Services.PostConfigure<PlaybackOptions>(UseEmulator);
    builder.Services.AddPlayback();
    var cluster = clusterSection.Get<PlaybackClusterOptions>() ?? new PlaybackClusterOptions();
    builder.Services.AddAkka("call-control", akka => akka.WithPlaybackCluster(options.ToSettings("/signalwire/events"), cluster));
}
else
{
    builder.Services.AddPlayback(playbackSection);
    builder.Services.PostConfigure<PlaybackOptions>(UseEmulator);
    builder.Services.AddAkka("call-control", akka => akka.WithPlayback());
}
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
var sseJson = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

var app = builder.Build();
app.MapPlaybackWebhooks("/signalwire/events");
app.MapHealthChecks("/health");
app.MapPrometheusScrapingEndpoint("/metrics");

var holdMusic = new MediaItem[]
{
    Media.Tts("Please hold while we connect you."),
    Media.Silence(1),
    Media.Audio("https://example.com/hold-music.mp3"),
};

// Starts (or restarts) hold music on the call: loops until stopped, replacing whatever plays now.
app.MapPost("/calls/{callId}/hold-music", async (string callId, PlaybackManager playback, CancellationToken ct) =>
{
    var handle = await playback.PlayAsync(callId, holdMusic, new PlayOptions { Loop = 0, Volume = -6, WhenBusy = PlayConflict.Replace }, ct);
    return Results.Ok(new { handle.CallId, handle.ControlId, State = handle.Current.ToString() });
});

app.MapPost("/calls/{callId}/pause", (string callId, PlaybackManager playback, CancellationToken ct) =>
    Control(playback, callId, (id, token) => playback.PauseAsync(callId, id, token), ct));
app.MapPost("/calls/{callId}/resume", (string callId, PlaybackManager playback, CancellationToken ct) =>
    Control(playback, callId, (id, token) => playback.ResumeAsync(callId, id, token), ct));
app.MapPost("/calls/{callId}/stop", (string callId, PlaybackManager playback, CancellationToken ct) =>
    Control(playback, callId, (id, token) => playback.StopAsync(callId, id, token), ct));
app.MapGet("/calls/{callId}/playbacks", (string callId, PlaybackManager playback) => Results.Ok(playback.Snapshot(callId)));

// Server-sent events: every playback event (or one call's, with ?callId=), straight from the Rx stream.
app.MapGet("/events", async (HttpContext context, PlaybackManager playback, string? callId) =>
{
    context.Response.Headers.ContentType = "text/event-stream";
    context.Response.Headers.CacheControl = "no-cache";
    var events = System.Threading.Channels.Channel.CreateBounded<PlaybackEvent>(new System.Threading.Channels.BoundedChannelOptions(1000) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest });
    using var subscription = (callId is null ? playback.Events : playback.EventsFor(callId)).Subscribe(e => events.Writer.TryWrite(e));
    await context.Response.WriteAsync(": connected\n\n", context.RequestAborted);
    await context.Response.Body.FlushAsync(context.RequestAborted);
    try
    {
        await foreach (var e in events.Reader.ReadAllAsync(context.RequestAborted))
        {
            await context.Response.WriteAsync($"event: playback\ndata: {JsonSerializer.Serialize(e, sseJson)}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }
    catch (OperationCanceledException)
    {
        // The client went away.
    }
});

if (emulator is not null)
{
    // Demo only: a call in the embedded emulator, with this service as its status URL.
    app.MapPost("/calls", (Microsoft.Extensions.Options.IOptions<PlaybackOptions> options) =>
        Results.Ok(new { CallId = emulator.CreateCall(options.Value.PublicBaseUrl?.TrimEnd('/') + "/signalwire/events") }));
    app.MapDelete("/calls/{callId}", (string callId) => emulator.EndCall(callId) ? Results.NoContent() : Results.NotFound());
    app.Lifetime.ApplicationStopped.Register(() => emulator.DisposeAsync().AsTask().GetAwaiter().GetResult());
    app.Logger.LogInformation("No SignalWire credentials: using the embedded Calling API emulator at {Url}. POST /calls creates a call.", emulator.BaseUrl);
}

app.Run();

static async Task<IResult> Control(PlaybackManager playback, string callId, Func<string, CancellationToken, Task<PlaybackSnapshot>> command, CancellationToken ct)
{
    var current = playback.Snapshot(callId).FirstOrDefault(p => p.State is PlaybackState.Playing or PlaybackState.Paused or PlaybackState.Starting);
    if (current is null)
    {
        return Results.NotFound(new { error = $"call {callId} has no active playback" });
    }

    try
    {
        return Results.Ok(await command(current.ControlId, ct));
    }
    catch (PlaybackStateException e)
    {
        return Results.Conflict(new { error = e.Message });
    }
    catch (CallGoneException e)
    {
        return Results.NotFound(new { error = e.Message });
    }
    catch (CallingApiException e)
    {
        return Results.Json(new { error = e.Message, status = e.StatusCode }, statusCode: StatusCodes.Status502BadGateway);
    }
}

/// <summary>Exposed for integration tests (WebApplicationFactory or process tests).</summary>
public partial class Program;
