using System.Net;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Playback.Emulator;

namespace Playback.Hosting.Tests;

/// <summary>
/// Secure by default: a mapped webhook endpoint never trusts unsigned requests unless told to. Without a signing key and
/// without an explicit <c>SignaturePolicy = Off</c> the host does not start; with <c>Off</c> it starts, warns once and
/// accepts unsigned webhooks; with a key, unsigned and wrongly signed webhooks get 403 over real HTTP.
/// </summary>
public sealed class SecureByDefaultTests
{
    private const string UnsignedWarning = "Unsigned webhooks are accepted";

    [Fact]
    public async Task A_mapped_endpoint_without_a_signing_key_or_an_explicit_policy_stops_the_host_naming_both_settings()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => PlaybackWebApp.StartAsync(emulator, o => o.SigningKey = null));

        AssertNamesBothSettings(error);
    }

    [Fact]
    public async Task The_missing_key_is_reported_in_the_same_startup_error_as_the_other_bad_options()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => PlaybackWebApp.StartAsync(emulator, o =>
        {
            o.SigningKey = null;
            o.RequestTimeout = TimeSpan.Zero;
        }));

        Assert.Contains(error.Failures, f => f.Contains("RequestTimeout", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Playback:SigningKey", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Options_bound_from_configuration_without_a_signing_key_or_a_policy_stop_the_host_naming_both_settings()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartFromConfigurationAsync(emulator, signingKey: null, policy: null));

        AssertNamesBothSettings(error);
    }

    [Fact]
    public async Task With_SignaturePolicy_Off_chosen_explicitly_the_host_starts_warns_once_and_accepts_unsigned_webhooks()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await using var app = await StartFromConfigurationAsync(emulator, signingKey: null, policy: "Off");
        var handle = await PlayingAsync(emulator, app);

        var wronglySigned = await app.Http.SendAsync(TestSupport.Webhook(PlaybackWebApp.WebhookPath, Play(handle, "playing"), "PSK-not-the-key", app.WebhookUrl));
        var unsigned = await app.Http.SendAsync(TestSupport.Webhook(PlaybackWebApp.WebhookPath, Play(handle, "finished"), key: null, signedUrl: null));

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (wronglySigned.StatusCode, unsigned.StatusCode));
        Assert.Equal(PlaybackState.Finished, (await handle.Completion.WaitAsync(Eventually.Patience)).State);
        var warning = Assert.Single(app.Logs.Entries, l => l.Message.Contains(UnsignedWarning, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Off", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_signing_key_from_configuration_unsigned_and_wrongly_signed_webhooks_get_403_and_change_nothing()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await using var app = await StartFromConfigurationAsync(emulator, emulator.SigningKey, policy: null);
        var handle = await PlayingAsync(emulator, app);

        var unsigned = await app.Http.SendAsync(TestSupport.Webhook(PlaybackWebApp.WebhookPath, Play(handle, "error"), key: null, signedUrl: null));
        var wronglySigned = await app.Http.SendAsync(TestSupport.Webhook(PlaybackWebApp.WebhookPath, Play(handle, "error"), "PSK-not-the-key", app.WebhookUrl));

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (unsigned.StatusCode, wronglySigned.StatusCode));
        Assert.Equal(PlaybackState.Playing, handle.Current);
        var signed = await app.Http.SendAsync(TestSupport.Webhook(PlaybackWebApp.WebhookPath, Play(handle, "finished"), emulator.SigningKey, app.WebhookUrl));
        Assert.Equal(HttpStatusCode.NoContent, signed.StatusCode);
        Assert.Equal(PlaybackState.Finished, (await handle.Completion.WaitAsync(Eventually.Patience)).State);
        Assert.DoesNotContain(app.Logs.Entries, l => l.Message.Contains(UnsignedWarning, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithPlayback_settings_without_a_signing_key_or_a_policy_and_a_mapped_endpoint_stop_the_host()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var settings = new PlaybackSettings { ProjectId = emulator.ProjectId, ApiToken = emulator.ApiToken, BaseUrl = emulator.BaseUrl };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartOnAkkaAsync(emulator, settings));

        AssertNamesBothSettings(error);
    }

    [Fact]
    public async Task WithPlayback_settings_with_SignaturePolicy_Off_start_warn_once_and_accept_unsigned_webhooks()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var settings = new PlaybackSettings { ProjectId = emulator.ProjectId, ApiToken = emulator.ApiToken, BaseUrl = emulator.BaseUrl, SignaturePolicy = WebhookSignaturePolicy.Off };
        await using var app = await StartOnAkkaAsync(emulator, settings);
        var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Ringtone("us")]);

        var unsigned = await app.Http.SendAsync(TestSupport.Webhook(PlaybackWebApp.WebhookPath, Play(handle, "finished"), key: null, signedUrl: null));

        Assert.Equal(HttpStatusCode.NoContent, unsigned.StatusCode);
        Assert.Equal(PlaybackState.Finished, (await handle.Completion.WaitAsync(Eventually.Patience)).State);
        Assert.Single(app.Logs.Entries, l => l.Level == LogLevel.Warning && l.Message.Contains(UnsignedWarning, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddAkka_code_that_reads_the_options_starts_the_manager_with_them_and_the_key_is_checked()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await using var app = await PlaybackWebApp.StartAsync(emulator, register: (builder, baseUrl) =>
        {
            builder.Services.AddPlayback(o =>
            {
                o.UseEmulator(emulator);
                o.PublicBaseUrl = baseUrl;
            });
            builder.Services.AddAkka("calls", (akka, sp) => akka.WithPlayback(sp.GetRequiredService<IOptions<PlaybackOptions>>().Value.ToSettings(PlaybackWebApp.WebhookPath)));
        });
        var handle = await PlayingAsync(emulator, app);

        var unsigned = await app.Http.SendAsync(TestSupport.Webhook(PlaybackWebApp.WebhookPath, Play(handle, "error"), key: null, signedUrl: null));

        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal(emulator.SigningKey, app.Playback.Settings.SigningKey);
    }

    [Fact]
    public async Task Without_a_PublicBaseUrl_a_checked_endpoint_warns_at_start_that_signatures_use_the_requests_own_host()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var settings = new PlaybackSettings { ProjectId = emulator.ProjectId, ApiToken = emulator.ApiToken, BaseUrl = emulator.BaseUrl, SigningKey = emulator.SigningKey };
        await using var without = await PlaybackWebApp.StartAsync(emulator, register: (builder, _) =>
        {
            builder.Services.AddAkka("calls", akka => akka.WithPlayback(settings with { AllowUntrackedPlays = true }));
            builder.Services.AddPlayback();
        });
        await using var with = await StartOnAkkaAsync(emulator, settings);

        var warning = Assert.Single(without.Logs.Entries, l => l.Message.Contains("Playback:PublicBaseUrl is not set", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Host", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(with.Logs.Entries, l => l.Message.Contains("Playback:PublicBaseUrl is not set", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, "Playback:MaxWebhookBodyBytes")]
    [InlineData(null, "Playback:PublicBaseUrl")]
    public async Task The_parameterless_AddPlayback_checks_the_endpoints_options_at_start(int? maxBody, string named)
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var settings = new PlaybackSettings { ProjectId = emulator.ProjectId, ApiToken = emulator.ApiToken, BaseUrl = emulator.BaseUrl, SigningKey = emulator.SigningKey, AllowUntrackedPlays = true };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => PlaybackWebApp.StartAsync(emulator, register: (builder, _) =>
        {
            builder.Services.AddAkka("calls", akka => akka.WithPlayback(settings));
            builder.Services.AddPlayback();
            builder.Services.Configure<PlaybackOptions>(o =>
            {
                o.MaxWebhookBodyBytes = maxBody ?? o.MaxWebhookBodyBytes;
                o.PublicBaseUrl = maxBody is null ? "calls.example.com" : null; // no scheme: not an absolute URL
            });
        }));

        Assert.Contains(error.Failures, f => f.Contains(named, StringComparison.Ordinal));
    }

    private static void AssertNamesBothSettings(OptionsValidationException error)
    {
        Assert.Contains("Playback:SigningKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("Playback:SignaturePolicy", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The app with <c>AddPlayback(configuration.GetSection("Playback"))</c>, everything read from configuration values.</summary>
    private static Task<PlaybackWebApp> StartFromConfigurationAsync(CallingEmulator emulator, string? signingKey, string? policy) =>
        PlaybackWebApp.StartAsync(emulator, register: (builder, baseUrl) =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Playback:ProjectId"] = emulator.ProjectId,
                ["Playback:ApiToken"] = emulator.ApiToken,
                ["Playback:BaseUrl"] = emulator.BaseUrl.ToString(),
                ["Playback:PublicBaseUrl"] = baseUrl,
                ["Playback:UseEnvironmentFallback"] = "false",
                ["Playback:SigningKey"] = signingKey,
                ["Playback:SignaturePolicy"] = policy,
            });
            builder.Services.AddPlayback(builder.Configuration.GetSection("Playback"));
        });

    /// <summary>The app with the manager started by Akka.Hosting's <c>WithPlayback(settings)</c> (plays reporting to the app) and the parameterless <c>AddPlayback()</c>.</summary>
    private static Task<PlaybackWebApp> StartOnAkkaAsync(CallingEmulator emulator, PlaybackSettings settings) =>
        PlaybackWebApp.StartAsync(emulator, register: (builder, baseUrl) =>
        {
            builder.Services.AddAkka("calls", akka => akka.WithPlayback(settings with { DefaultStatusUrl = new Uri(baseUrl + PlaybackWebApp.WebhookPath) }));
            builder.Services.AddPlayback();
            builder.Services.Configure<PlaybackOptions>(o => o.PublicBaseUrl = baseUrl);
        });

    /// <summary>An endless playback on a new call, once the emulator's own "playing" webhook has been delivered.</summary>
    private static async Task<PlaybackHandle> PlayingAsync(CallingEmulator emulator, PlaybackWebApp app)
    {
        var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Ringtone("us")]);
        await Eventually.AssertAsync(() => Assert.Contains(emulator.Journal.Webhooks, w => w.ControlId == handle.ControlId && w.State == "playing" && w.Outcome == "delivered 204"));
        return handle;
    }

    private static byte[] Play(PlaybackHandle handle, string state) => TestSupport.PlayWebhook(handle.CallId, handle.ControlId, state);
}
