// A call-control service with Playback embedded: ASP.NET Core + Akka.Hosting, an HTTP API to play media and control
// playbacks per call, a server-sent-events stream of playback events, the SignalWire webhook endpoint and a health check.
// Every bad input is answered with a 4xx application/problem+json (see Problems.cs), never a 5xx.
//
//   dotnet run --project samples/CallControlService
//
// Without SignalWire credentials (Playback:ProjectId / SIGNALWIRE_PROJECT_ID …) it starts the embedded Calling API
// emulator and POST /calls creates a call there. With credentials it talks to your space; set Playback:PublicBaseUrl
// to the public URL SignalWire reaches this service at, and Playback:SigningKey (or SIGNALWIRE_SIGNING_KEY): without a
// key the webhook endpoint refuses to start. Three instances as one cluster on this machine, sharing one
// standalone emulator: samples/CallControlService/run-cluster.sh.
//
// Restarts: live playbacks are kept in playback.db (SQLite) next to the app and are back after a restart;
// --Playback:Persistence:Provider=off turns that off (README, "Surviving restarts").
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
    // Surviving restarts (README): the calls' playbacks are kept in SQLite, playback.db next to the app, unless the
    // Playback:Persistence section says otherwise (ConnectionString, Provider = postgresql; Provider = off turns it off).
    // A cluster's nodes share one store: the cluster branch above uses persistence only when that section sets it.
    builder.Services.Configure<PlaybackOptions>(o => o.Persistence = new PlaybackPersistenceOptions
    {
        Provider = "sqlite",
        ConnectionString = $"Data Source={Path.Combine(AppContext.BaseDirectory, "playback.db")}",
    });
    builder.Services.AddPlayback(playbackSection);
    builder.Services.PostConfigure<PlaybackOptions>(UseEmulator);
    // WithPlayback(sp): the store is configured before the ActorSystem exists (SQLite's journal with synchronous = NORMAL).
    builder.Services.AddAkka("call-control", (akka, sp) => akka.WithPlayback(sp));
}
builder.Services.AddProblemDetails();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
var sseJson = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

var calls = new CallDirectory(knowsEveryCall: emulator is not null);

var app = builder.Build();
app.UseExceptionHandler(); // a bug still answers problem+json (500); bad input never gets here
app.UseStatusCodePages();  // unknown routes (404) and wrong methods (405) as problem+json too
app.Use(async (context, next) =>
{
    // No endpoint of this service takes more than JsonBody.MaxBytes; the webhook endpoint enforces its own limit.
    if (context.Request.ContentLength > JsonBody.MaxBytes && !context.Request.Path.StartsWithSegments("/signalwire/events"))
    {
        await Problems.TooLarge(JsonBody.MaxBytes).ExecuteAsync(context);
        return;
    }

    await next(context);
});
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
    calls.Check(playback, callId) ?? await Guarded(callId, null, async () =>
        Started(await playback.PlayAsync(callId, holdMusic, new PlayOptions { Loop = 0, Volume = -6, WhenBusy = PlayConflict.Replace }, ct))));

// Plays the caller's media: {"media":[{"type":"tts","params":{"text":"Hi"}}], "volume":-3, "loop":1, "whenBusy":"replace", …}.
// Media and options go through Playback's own validation: anything it refuses is a 422 naming the field.
app.MapPost("/calls/{callId}/play", async (string callId, HttpRequest request, PlaybackManager playback, CancellationToken ct) =>
{
    if (calls.Check(playback, callId) is { } problem)
    {
        return problem;
    }

    var (body, bodyProblem) = await JsonBody.ReadAsync<PlayRequest>(request, ct);
    if (body is null)
    {
        return bodyProblem!;
    }

    if (PlayRequests.Convert(body, out var invalid) is not { } play)
    {
        return invalid!;
    }

    return await Guarded(callId, null, async () => Started(await playback.PlayAsync(callId, play.Media, play.Options, ct)));
});

// Controls the call's active playback, or the one named by ?controlId=.
app.MapPost("/calls/{callId}/pause", (string callId, string? controlId, PlaybackManager playback, CancellationToken ct) =>
    Control(playback, callId, controlId, (id, token) => playback.PauseAsync(callId, id, token), ct));
app.MapPost("/calls/{callId}/resume", (string callId, string? controlId, PlaybackManager playback, CancellationToken ct) =>
    Control(playback, callId, controlId, (id, token) => playback.ResumeAsync(callId, id, token), ct));
app.MapPost("/calls/{callId}/stop", (string callId, string? controlId, PlaybackManager playback, CancellationToken ct) =>
    Control(playback, callId, controlId, (id, token) => playback.StopAsync(callId, id, token), ct));

// Sets the volume of the call's active playback (or ?controlId=): {"volume": -6}, in dB, -40 to 40.
app.MapPost("/calls/{callId}/volume", async (string callId, HttpRequest request, PlaybackManager playback, string? controlId, CancellationToken ct) =>
{
    if (calls.Check(playback, callId) is { } problem)
    {
        return problem;
    }

    var (body, bodyProblem) = await JsonBody.ReadAsync<VolumeRequest>(request, ct);
    if (body is null)
    {
        return bodyProblem!;
    }

    if (body.Volume is null)
    {
        return Problems.Invalid("volume", "volume is required: a number of dB from -40 to 40.");
    }

    var db = body.Volume.Value;
    return await Control(playback, callId, controlId, (id, token) => playback.SetVolumeAsync(callId, id, db, token), ct);
});

app.MapGet("/calls/{callId}/playbacks", (string callId, PlaybackManager playback) =>
    calls.Check(playback, callId) ?? Results.Ok(playback.Snapshot(callId)));

// Server-sent events: every playback event (or one call's, with ?callId=), straight from the Rx stream.
app.MapGet("/events", async (HttpContext context, PlaybackManager playback, string? callId) =>
{
    if (callId is not null && calls.Check(playback, callId) is { } problem)
    {
        await problem.ExecuteAsync(context);
        return;
    }

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
    {
        var callId = emulator.CreateCall(options.Value.PublicBaseUrl?.TrimEnd('/') + "/signalwire/events");
        calls.Created(callId);
        return Results.Ok(new { CallId = callId });
    });
    app.MapDelete("/calls/{callId}", (string callId, PlaybackManager playback) =>
    {
        if (calls.Check(playback, callId) is { } problem)
        {
            return problem;
        }

        calls.Ended(callId);
        return emulator.EndCall(callId) ? Results.NoContent() : Problems.NotFound($"Call {callId} has ended.");
    });
    app.Lifetime.ApplicationStopped.Register(() => emulator.DisposeAsync().AsTask().GetAwaiter().GetResult());
    app.Logger.LogInformation("No SignalWire credentials: using the embedded Calling API emulator at {Url}. POST /calls creates a call.", emulator.BaseUrl);
}

app.Run();

static IResult Started(PlaybackHandle handle) =>
    Results.Ok(new { handle.CallId, handle.ControlId, State = handle.Current.ToString(), handle.Volume });

async Task<IResult> Control(PlaybackManager playback, string callId, string? controlId, Func<string, CancellationToken, Task<PlaybackSnapshot>> command, CancellationToken ct)
{
    if (calls.Check(playback, callId) is { } problem)
    {
        return problem;
    }

    var target = controlId
        ?? playback.Snapshot(callId).FirstOrDefault(p => p.State is PlaybackState.Playing or PlaybackState.Paused or PlaybackState.Starting)?.ControlId;
    return target is null
        ? Problems.Conflict($"Call {callId} has no active playback.")
        : await Guarded(callId, controlId, async () => Results.Ok(await command(target, ct)));
}

// Runs a Playback command; what it throws for bad input or state becomes the matching 4xx problem.
async Task<IResult> Guarded(string callId, string? controlId, Func<Task<IResult>> command)
{
    try
    {
        return await command();
    }
    catch (Exception e) when (Problems.Handles(e))
    {
        if (e is CallGoneException)
        {
            calls.Ended(callId);
        }

        return Problems.From(e, callId, controlId, "call_id", controlId is null ? "call_id" : "control_id");
    }
}

/// <summary>Exposed for integration tests (WebApplicationFactory or process tests).</summary>
public partial class Program;
