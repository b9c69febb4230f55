// Playback quick start.
//
// With no configuration it starts the embedded Calling API emulator (media plays 20x faster than real time) and a
// webhook endpoint on 127.0.0.1, creates a call, and runs the three examples of the SDK's calling.play page, then
// pauses, resumes, changes the volume of and stops a looping playback. Every state change is printed as it arrives
// from Playback's Rx stream; the states come back through real HTTP and signed webhooks.
//
// Against a real SignalWire space: set SIGNALWIRE_PROJECT_ID, SIGNALWIRE_API_TOKEN, SIGNALWIRE_SPACE,
// SIGNALWIRE_SIGNING_KEY (without it the webhook endpoint refuses to start), PLAYBACK_CALL_ID (a live, answered call) and PLAYBACK_PUBLIC_URL (a public https URL that
// forwards to http://127.0.0.1:PLAYBACK_LISTEN_PORT, default 5000, e.g. a tunnel).
//
// Playbacks survive a restart: they are kept in playback.db next to the app (see "Surviving restarts" in the README).
using System.Net;
using System.Net.Sockets;
using Playback;
using Playback.Emulator;
using Playback.Hosting;
using Microsoft.Extensions.Options;
using Spectre.Console;

// Spectre.Console wraps at 80 columns when it cannot ask a terminal: redirected output (a log, a CI job) would break lines
// mid-sentence. Nothing here is a table, so give it room.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 4096;
}

if (!QuickStartConfiguration.TryRead(out var config, out var configurationError))
{
    return ConfigurationError(configurationError);
}

await using var emulator = config.RealSpace ? null : await CallingEmulator.StartAsync(new EmulatorOptions { Speed = 20 });
var port = config.ListenPort ?? FreeLoopbackPort();
var publicUrl = config.PublicUrl ?? $"http://127.0.0.1:{port}";

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
builder.Services.AddPlayback(o =>
{
    o.PublicBaseUrl = publicUrl;                       // plays default their status_url to {publicUrl}/signalwire/events
    if (emulator is not null)
    {
        o.BaseUrl = emulator.BaseUrl.ToString();
        o.ProjectId = emulator.ProjectId;
        o.ApiToken = emulator.ApiToken;
        o.SigningKey = emulator.SigningKey;           // the emulator signs its webhooks with it; a mapped endpoint needs a key
        o.UseEnvironmentFallback = false;
    }

    // Surviving restarts (README): the calls' playbacks are kept in SQLite, playback.db next to the app. Configuration
    // overrides it (Playback__Persistence__ConnectionString="Data Source=/var/lib/app/playback.db", or PostgreSQL with
    // Playback__Persistence__Provider=postgresql); Playback__Persistence__Provider=off turns it off.
    o.Persistence = new PlaybackPersistenceOptions { Provider = "sqlite", ConnectionString = $"Data Source={Path.Combine(AppContext.BaseDirectory, "playback.db")}" };
    builder.Configuration.GetSection("Playback:Persistence").Bind(o.Persistence);
});
await using var app = builder.Build();
app.MapPlaybackWebhooks("/signalwire/events");
try
{
    await app.StartAsync();
}
catch (Exception e) when (e is OptionsValidationException or PlaybackConfigurationException)
{
    return ConfigurationError(e.Message);
}
catch (PlaybackStoreException e)
{
    return ConfigurationError($"the playback store cannot be opened ({e.Message}); fix Playback:Persistence:ConnectionString or set Playback__Persistence__Provider=off.");
}
catch (IOException e)
{
    return ConfigurationError($"cannot listen on 127.0.0.1:{port} ({e.Message}); set PLAYBACK_LISTEN_PORT to a free port.");
}

var playback = app.Services.GetRequiredService<PlaybackManager>();
var callId = emulator?.CreateCall(publicUrl + "/signalwire/events") ?? config.CallId!;
var wait = config.RealSpace ? TimeSpan.FromMinutes(2) : TimeSpan.FromSeconds(30);

AnsiConsole.MarkupLine(emulator is null
    ? $"[bold]Playback quick start[/] against [blue]{Markup.Escape(config.Target)}[/], call [blue]{Markup.Escape(callId)}[/]"
    : $"[bold]Playback quick start[/] against the embedded emulator at [blue]{emulator.BaseUrl}[/] (x20 speed), call [blue]{callId[..8]}[/]");
AnsiConsole.MarkupLine($"webhooks: [blue]{Markup.Escape(publicUrl)}/signalwire/events[/]\n");

var printedEnds = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource>();
using var log = playback.EventsFor(callId).Subscribe(e =>
{
    AnsiConsole.MarkupLine(Describe(e));
    if (e.State.IsTerminal())
    {
        printedEnds.GetOrAdd(e.ControlId, _ => new TaskCompletionSource()).TrySetResult();
    }
});

try
{
    Step("1. TTS: \"Hello from the REST API!\"");
    var hello = await playback.PlayAsync(callId, [Media.Tts("Hello from the REST API!")]);
    await Ended(hello);

    Step("2. Audio: https://example.com/greeting.mp3");
    var greeting = await playback.PlayAsync(callId, [Media.Audio("https://example.com/greeting.mp3")]);
    await Ended(greeting);

    Step("3. Sequence, looping: TTS + 1 s silence + hold music; then pause, resume, volume, stop");
    var hold = await playback.PlayAsync(callId,
        [Media.Tts("Please hold while we connect you."), Media.Silence(1), Media.Audio("https://example.com/hold-music.mp3")],
        new PlayOptions { Loop = 0 });
    await hold.PauseAsync();
    await hold.ResumeAsync();
    await hold.SetVolumeAsync(6);
    await hold.StopAsync();
    await Ended(hold);

    var stats = playback.Statistics;
    AnsiConsole.MarkupLine($"\n[green]Done.[/] {stats.RequestsSent} requests sent, {stats.WebhooksAccepted} signed webhooks accepted, {stats.WebhooksRejected} rejected.");
    return 0;
}
catch (Exception e) when (e is PlaybackException or TimeoutException)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.GetType().Name)}: {Markup.Escape(e.Message)}[/]");
    return 1;
}

// Waits until the playback has ended and its last event has been printed.
async Task Ended(PlaybackHandle handle)
{
    var outcome = await handle.Completion.WaitAsync(wait);
    await printedEnds.GetOrAdd(handle.ControlId, _ => new TaskCompletionSource()).Task.WaitAsync(wait);
    AnsiConsole.MarkupLine($"   [grey]ended: {outcome.State}{(outcome.Reason is null ? string.Empty : " (" + Markup.Escape(outcome.Reason) + ")")}[/]");
}

// A configuration error is one plain line on standard error and exit code 2: no stack trace, no secret.
static int ConfigurationError(string message)
{
    Console.Error.WriteLine("quick start: configuration error: " + message.ReplaceLineEndings(" "));
    return 2;
}

static void Step(string title) => AnsiConsole.MarkupLine($"\n[bold yellow]{Markup.Escape(title)}[/]");

static string Describe(PlaybackEvent e)
{
    var color = e.State switch
    {
        PlaybackState.Playing => "green",
        PlaybackState.Paused => "yellow",
        PlaybackState.Finished or PlaybackState.Stopped => "blue",
        PlaybackState.Failed => "red",
        _ => "grey",
    };
    var what = e.Change == PlaybackChange.Volume
        ? $"volume {e.Volume:0.#} dB"
        : $"{e.PreviousState?.ToString() ?? "-"} -> [{color}]{e.State}[/]";
    return $"   {e.Timestamp:HH:mm:ss.fff}  {e.ControlId[..8]}  {what}{(e.Reason is null ? string.Empty : "  " + Markup.Escape(e.Reason))}";
}

static int FreeLoopbackPort()
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    return ((IPEndPoint)socket.LocalEndPoint!).Port;
}
