using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Playback.Emulator;

namespace Playback.Hosting.Tests;

internal static class TestSupport
{
    /// <summary>Points the options at the emulator (<see cref="PlaybackTesting.UseEmulator"/>), with a 20 s ask timeout and untracked plays allowed.</summary>
    public static void UseEmulator(this PlaybackOptions options, CallingEmulator emulator)
    {
        PlaybackTesting.UseEmulator(options, emulator);
        options.AskTimeout = TimeSpan.FromSeconds(20);
        options.AllowUntrackedPlays = true; // with PublicBaseUrl (PlaybackWebApp) plays are tracked all the same
    }

    /// <summary>A generic host builder that logs only to <paramref name="logs"/> (when given).</summary>
    public static HostApplicationBuilder HostBuilder(CapturingLoggerProvider? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(logs);
        }

        return builder;
    }

    /// <summary>A started host with <c>AddPlayback</c> on the emulator (no Akka.Hosting: Playback's own ActorSystem), logging to <paramref name="logs"/>.</summary>
    public static async Task<IHost> StartPlaybackHostAsync(CallingEmulator emulator, CapturingLoggerProvider logs)
    {
        var builder = HostBuilder(logs);
        builder.Services.AddPlayback(o => o.UseEmulator(emulator));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static Task<CallingEmulator> StartEmulatorAsync() => CallingEmulator.StartAsync(new EmulatorOptions { Speed = 20 });

    /// <summary>A <c>calling.call.play</c> webhook body in the envelope SignalWire sends.</summary>
    public static byte[] PlayWebhook(string callId, string controlId, string state, string? padding = null)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("event_type", "calling.call.play");
            w.WriteStartObject("params");
            w.WriteString("call_id", callId);
            w.WriteString("control_id", controlId);
            w.WriteString("state", state);
            w.WriteEndObject();
            if (padding is not null)
            {
                w.WriteString("padding", padding);
            }

            w.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>A POST of <paramref name="body"/> to <paramref name="pathAndQuery"/>, signed (SHA-256) over <paramref name="signedUrl"/> with <paramref name="key"/> unless the key is null.</summary>
    public static HttpRequestMessage Webhook(string pathAndQuery, byte[] body, string? key, string? signedUrl)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (key is not null)
        {
            request.Headers.Add(WebhookSignature.Sha256Header, WebhookSignature.ComputeSha256(key, signedUrl!, body));
        }

        return request;
    }

    /// <summary>The <c>params.status_url</c> of the emulator's journaled <c>calling.play</c> request, or null when absent.</summary>
    public static string? PlayStatusUrl(CallingEmulator emulator, string controlId)
    {
        var request = emulator.Journal.Requests.Single(r => r.Command == "calling.play" && r.ControlId == controlId);
        using var doc = JsonDocument.Parse(request.Body);
        return doc.RootElement.GetProperty("params").TryGetProperty("status_url", out var url) ? url.GetString() : null;
    }

    public static string Text(this IEnumerable<CapturedLog> logs) => string.Join("\n", logs.Select(l => l.ToString()));
}

/// <summary>Content sent chunked: its length is not known in advance, so no Content-Length header goes out.</summary>
internal sealed class ChunkedContent(byte[] body) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(body).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
