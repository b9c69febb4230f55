// A user's first program against the packages: the emulator in process on 127.0.0.1 (port 0), a webhook endpoint on
// Kestrel (the ASP.NET Core shared framework comes with Playback.Emulator), the seed's looping hold sequence (TTS +
// 1 s silence + hold music) played on a call and stopped. Exit 0 only when the playback is Stopped and every status
// webhook was accepted.
using System.Net;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Logging;
using Playback;
using Playback.Emulator;

var patience = TimeSpan.FromSeconds(30);
await using var emulator = await CallingEmulator.StartAsync(new EmulatorOptions { Port = 0, Speed = 20 });

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
await using var web = builder.Build();
PlaybackManager? playback = null;
var rejected = 0;
web.MapPost("/signalwire/events", async (HttpRequest request) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body);
    var headers = request.Headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString()));
    var result = await playback!.HandleWebhookAsync(request.GetEncodedUrl(), headers, body.ToArray());
    if (result.Status == WebhookStatus.Rejected)
    {
        Interlocked.Increment(ref rejected);
    }

    return result.Status == WebhookStatus.Rejected ? Results.StatusCode(403) : Results.NoContent();
});
await web.StartAsync();
var statusUrl = new Uri(new Uri(web.Urls.First()), "/signalwire/events");

await using (playback = PlaybackManager.Create(new PlaybackSettings
{
    BaseUrl = emulator.BaseUrl,
    ProjectId = emulator.ProjectId,
    ApiToken = emulator.ApiToken,
    SigningKey = emulator.SigningKey,
    DefaultStatusUrl = statusUrl,
}))
{
    var callId = emulator.CreateCall(statusUrl.ToString());
    var handle = await playback.PlayAsync(callId,
        [Media.Tts("Please hold while we connect you."), Media.Silence(1), Media.Audio("https://example.com/hold-music.mp3")],
        new PlayOptions { Loop = 0 });
    await handle.States.FirstAsync(s => s == PlaybackState.Playing).ToTask().WaitAsync(patience);
    await handle.StopAsync();
    var outcome = await handle.Completion.WaitAsync(patience);
    await emulator.DrainWebhooksAsync(patience);

    var commands = string.Join(", ", emulator.Journal.Requests.Select(r => $"{r.Command} {r.Status}"));
    Console.WriteLine($"consumer: {handle.ControlId[..8]} ended {outcome.State}; emulator saw {commands}; {emulator.Journal.Webhooks.Count} webhooks, {rejected} rejected");
    return outcome.State == PlaybackState.Stopped && rejected == 0 && emulator.GetPlay(callId, handle.ControlId)?.State == "finished" ? 0 : 1;
}
