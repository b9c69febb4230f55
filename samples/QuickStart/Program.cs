// Playback quick start. With no configuration it runs against an in-process stand-in of the Calling API
// (it prints each request and answers 200, then sends the signed status webhooks SignalWire would send),
// so it needs no account. The emulator-backed quick start (real HTTP on loopback) arrives with Playback.Emulator.
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using Akka.Actor;
using Playback;

const string SigningKey = "quickstart-signing-key";
const string WebhookUrl = "https://my-service.example.com/signalwire/events";
const string CallId = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

var standIn = new PrintingCallingApi();
using var system = ActorSystem.Create("quickstart", "akka.loglevel = WARNING");
await using var playback = PlaybackManager.Create(system, new PlaybackSettings { SigningKey = SigningKey, DefaultStatusUrl = new Uri(WebhookUrl) }, standIn);

using var log = playback.Events.Subscribe(e =>
    Console.WriteLine(e.Change == PlaybackChange.Volume
        ? $"  event  {e.ControlId[..8]}  volume -> {e.Volume:0.#} dB"
        : $"  event  {e.ControlId[..8]}  {e.PreviousState?.ToString() ?? "-",-8} -> {e.State,-8} {e.Reason}"));

// 1. The three examples of the SDK's calling.play page.
var hello = await playback.PlayAsync(CallId, [Media.Tts("Hello from the REST API!")]);
await Webhook(hello.ControlId, "finished");
await hello.Completion;

var greeting = await playback.PlayAsync(CallId, [Media.Audio("https://example.com/greeting.mp3")]);
await Webhook(greeting.ControlId, "finished");
await greeting.Completion;

var hold = await playback.PlayAsync(CallId,
    [Media.Tts("Please hold while we connect you."), Media.Silence(1), Media.Audio("https://example.com/hold-music.mp3")],
    new PlayOptions { Volume = -3, Loop = 0 });

// 2. Control a looping playback. (Events arrive on the Rx stream asynchronously; wait for the last one before exiting.)
var lastEvent = playback.EventsFor(CallId).FirstAsync(e => e.ControlId == hold.ControlId && e.State.IsTerminal()).ToTask();
await hold.PauseAsync();
await hold.ResumeAsync();
await hold.SetVolumeAsync(6);
await hold.StopAsync();
var outcome = await hold.Completion;
await lastEvent;
Console.WriteLine($"hold music ended: {outcome.State} ({outcome.Reason})");

// 3. Bad input never reaches the wire.
try
{
    await playback.PlayAsync(CallId, [Media.Tts("ok"), Media.Tts("fine"), new SilenceMedia(-1)]);
}
catch (ArgumentException e)
{
    Console.WriteLine($"rejected before sending: {e.ParamName}: {e.Message}");
}

Console.WriteLine($"requests sent: {playback.Statistics.RequestsSent}, webhooks accepted: {playback.Statistics.WebhooksAccepted}");
return 0;

async Task Webhook(string controlId, string state)
{
    var body = Encoding.UTF8.GetBytes(
        $$$"""{"event_type":"calling.call.play","timestamp":{{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}},"params":{"call_id":"{{{CallId}}}","control_id":"{{{controlId}}}","state":"{{{state}}}"}}""");
    var signature = WebhookSignature.ComputeSha256(SigningKey, WebhookUrl, body);
    var result = await playback.HandleWebhookAsync(WebhookUrl, [new(WebhookSignature.Sha256Header, signature)], body);
    Console.WriteLine($"  webhook {state} -> {result.Status}");
}

/// <summary>Stands in for the Calling API: prints each command and accepts it.</summary>
internal sealed class PrintingCallingApi : ICallingApi
{
    public Task PlayAsync(string callId, string controlId, IReadOnlyList<MediaItem> media, PlayOptions options, CancellationToken cancellationToken) =>
        Print($"calling.play        {controlId[..8]} {MediaJson.Serialize(media)}");

    public Task PauseAsync(string callId, string controlId, CancellationToken cancellationToken) => Print($"calling.play.pause  {controlId[..8]}");

    public Task ResumeAsync(string callId, string controlId, CancellationToken cancellationToken) => Print($"calling.play.resume {controlId[..8]}");

    public Task StopAsync(string callId, string controlId, CancellationToken cancellationToken) => Print($"calling.play.stop   {controlId[..8]}");

    public Task SetVolumeAsync(string callId, string controlId, double volume, CancellationToken cancellationToken) =>
        Print($"calling.play.volume {controlId[..8]} {volume} dB");

    private static Task Print(string line)
    {
        Console.WriteLine("POST   " + line);
        return Task.CompletedTask;
    }
}
