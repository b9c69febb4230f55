using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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

    /// <summary>A started host with <c>AddPlayback</c> on the emulator (no Akka.Hosting: Playback's own ActorSystem), the options further set by <paramref name="configure"/>, logging to <paramref name="logs"/>.</summary>
    public static Task<IHost> StartPlaybackHostAsync(CallingEmulator emulator, Action<PlaybackOptions>? configure = null, CapturingLoggerProvider? logs = null) =>
        StartHostAsync(
            services => services.AddPlayback(o =>
            {
                o.UseEmulator(emulator);
                configure?.Invoke(o);
            }),
            logs);

    /// <summary>A started host with the services <paramref name="register"/> adds, logging to <paramref name="logs"/>.</summary>
    public static async Task<IHost> StartHostAsync(Action<IServiceCollection> register, CapturingLoggerProvider? logs = null)
    {
        var host = BuildHost(register, logs);
        await host.StartAsync();
        return host;
    }

    /// <summary>A built, not started host with the services <paramref name="register"/> adds.</summary>
    public static IHost BuildHost(Action<IServiceCollection> register, CapturingLoggerProvider? logs = null)
    {
        var builder = HostBuilder(logs);
        register(builder.Services);
        return builder.Build();
    }

    /// <summary>The options validation error the start of a host with the services <paramref name="register"/> adds fails with.</summary>
    public static async Task<OptionsValidationException> StartupValidationErrorAsync(Action<IServiceCollection> register, CapturingLoggerProvider? logs = null)
    {
        using var host = BuildHost(register, logs);
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    /// <summary>The <c>Playback</c> section of an in-memory configuration holding <paramref name="values"/> (keys without the <c>Playback:</c> prefix).</summary>
    public static IConfigurationSection PlaybackSection(IEnumerable<KeyValuePair<string, string?>> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create("Playback:" + v.Key, v.Value))).Build().GetSection("Playback");

    /// <summary>Adds Playback on the emulator and Akka.Hosting's ActorSystem <c>calls</c> that runs it (<c>WithPlayback</c>).</summary>
    public static IServiceCollection AddPlaybackOnAkka(this IServiceCollection services, CallingEmulator emulator)
    {
        services.AddPlayback(o => o.UseEmulator(emulator));
        return services.AddAkka("calls", b => b.WithPlayback());
    }

    /// <summary>Settings for the emulator with untracked plays allowed.</summary>
    public static PlaybackSettings EmulatorSettings(CallingEmulator emulator) =>
        new() { ProjectId = emulator.ProjectId, ApiToken = emulator.ApiToken, BaseUrl = emulator.BaseUrl, AllowUntrackedPlays = true };

    /// <summary>Each of <paramref name="names"/> is named by at least one of <paramref name="texts"/>.</summary>
    public static void AssertEachNamed(IEnumerable<string> texts, params string[] names)
    {
        foreach (var name in names)
        {
            Assert.Contains(texts, t => t.Contains(name, StringComparison.Ordinal));
        }
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
