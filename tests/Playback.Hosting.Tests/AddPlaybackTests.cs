using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Playback.Emulator;

namespace Playback.Hosting.Tests;

/// <summary><c>services.AddPlayback(…)</c>: options binding, one singleton manager, startup validation.</summary>
public sealed class AddPlaybackTests
{
    [Fact]
    public async Task AddPlayback_binds_the_configuration_section_and_resolves_one_singleton_manager_with_those_settings()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var section = TestSupport.PlaybackSection(new Dictionary<string, string?>
        {
            ["ProjectId"] = emulator.ProjectId,
            ["ApiToken"] = emulator.ApiToken,
            ["BaseUrl"] = emulator.BaseUrl.ToString(),
            ["SigningKey"] = emulator.SigningKey,
            ["DefaultStatusUrl"] = "https://hooks.example.com/status",
            ["SignaturePolicy"] = "WhenPresent",
            ["RequestTimeout"] = "00:00:07",
            ["AskTimeout"] = "00:00:09",
            ["IdleTimeout"] = "00:03:00",
            ["MaxWebhookBodyBytes"] = "2048",
            ["UseEnvironmentFallback"] = "false",
            ["MaxConnections"] = "32",
            ["StatusTimeout"] = "00:02:00",
            ["SettleRetryDelay"] = "00:00:20",
            ["Resilience:MaxRetries"] = "7",
            ["Resilience:CommandDeadline"] = "00:00:08",
            ["Resilience:RateLimit"] = "500",
        });
        using var host = await TestSupport.StartHostAsync(s => s.AddPlayback(section));

        var manager = host.Services.GetRequiredService<PlaybackManager>();

        Assert.Same(manager, host.Services.GetRequiredService<PlaybackManager>());
        Assert.Single(host.Services.GetServices<PlaybackManager>());
        var settings = manager.Settings;
        Assert.Equal(emulator.ProjectId, settings.ProjectId);
        Assert.Equal(emulator.ApiToken, settings.ApiToken);
        Assert.Equal(emulator.SigningKey, settings.SigningKey);
        Assert.Equal(emulator.BaseUrl, settings.BaseUrl);
        Assert.Equal(new Uri("https://hooks.example.com/status"), settings.DefaultStatusUrl);
        Assert.Equal(WebhookSignaturePolicy.WhenPresent, settings.EffectiveSignaturePolicy);
        Assert.Equal(32, settings.MaxConnections);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.StatusTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.SettleRetryDelay);
        Assert.Equal((7, TimeSpan.FromSeconds(8), 500), (settings.Resilience.MaxRetries, settings.Resilience.CommandDeadline, settings.Resilience.RateLimit));
        Assert.Equal(new ResilienceSettings().BreakerDuration, settings.Resilience.BreakerDuration);
        Assert.Equal(TimeSpan.FromSeconds(7), settings.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(9), settings.AskTimeout);
        Assert.Equal(TimeSpan.FromMinutes(3), settings.IdleTimeout);
        Assert.Equal(2048, host.Services.GetRequiredService<IOptions<PlaybackOptions>>().Value.MaxWebhookBodyBytes);
        Assert.True(manager.IsRunning);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddPlayback_with_options_set_in_code_resolves_one_singleton_manager_with_those_settings()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await TestSupport.StartPlaybackHostAsync(emulator, o =>
        {
            o.SigningKey = null;
            o.RequestTimeout = TimeSpan.FromSeconds(3);
            o.DefaultStatusUrl = "https://hooks.example.com/from-code";
        });

        var manager = host.Services.GetRequiredService<PlaybackManager>();

        Assert.Same(manager, host.Services.GetRequiredService<PlaybackManager>());
        Assert.Equal(emulator.ProjectId, manager.Settings.ProjectId);
        Assert.Equal(emulator.ApiToken, manager.Settings.ApiToken);
        Assert.Equal(emulator.BaseUrl, manager.Settings.BaseUrl);
        Assert.Null(manager.Settings.SigningKey);
        Assert.Equal(WebhookSignaturePolicy.Off, manager.Settings.EffectiveSignaturePolicy);
        Assert.Equal(TimeSpan.FromSeconds(3), manager.Settings.RequestTimeout);
        Assert.Equal(new Uri("https://hooks.example.com/from-code"), manager.Settings.DefaultStatusUrl);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_manager_resolved_from_the_host_plays_on_the_emulator()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await TestSupport.StartPlaybackHostAsync(emulator);
        var playback = host.Services.GetRequiredService<PlaybackManager>();
        var callId = emulator.CreateCall();

        var handle = await playback.PlayAsync(callId, [Media.Ringtone("us")]);

        Assert.Equal(PlaybackState.Playing, handle.Current);
        Assert.Equal("playing", emulator.GetPlay(callId, handle.ControlId)!.State);
        var request = Assert.Single(emulator.Journal.Requests);
        Assert.Equal(("calling.play", 200), (request.Command, request.Status));
        await host.StopAsync();
        Assert.False(playback.IsRunning);
    }

    [Fact]
    public async Task Missing_credentials_stop_the_host_at_startup_naming_project_id_api_token_and_space_together()
    {
        var error = await TestSupport.StartupValidationErrorAsync(s => s.AddPlayback(o => o.UseEnvironmentFallback = false));

        Assert.Equal(typeof(PlaybackOptions), error.OptionsType);
        TestSupport.AssertEachNamed(error.Failures, "ProjectId", "ApiToken", "Space");
        TestSupport.AssertEachNamed([error.Message], "ProjectId", "ApiToken", "Space");
    }

    [Fact]
    public async Task Missing_credentials_in_a_bound_section_stop_the_host_at_startup_too()
    {
        var section = TestSupport.PlaybackSection([new("UseEnvironmentFallback", "false"), new("ProjectId", "project")]);

        var error = await TestSupport.StartupValidationErrorAsync(s => s.AddPlayback(section));

        Assert.DoesNotContain(error.Failures, f => f.Contains("ProjectId", StringComparison.Ordinal));
        TestSupport.AssertEachNamed(error.Failures, "ApiToken", "Space");
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        { "PublicBaseUrl", "not a url", "PublicBaseUrl" },
        { "PublicBaseUrl", "ftp://calls.example.com", "PublicBaseUrl" },
        { "MaxWebhookBodyBytes", "-1", "MaxWebhookBodyBytes" },
        { "MaxWebhookBodyBytes", "0", "MaxWebhookBodyBytes" },
        { "RequestTimeout", "00:00:00", "RequestTimeout" },
        { "AskTimeout", "-00:00:01", "AskTimeout" },
        { "IdleTimeout", "-00:01:00", "IdleTimeout" },
        { "BaseUrl", "http://api.example.com", "BaseUrl" },
        { "BaseUrl", "/relative", "BaseUrl" },
        { "DefaultStatusUrl", "relative/status", "DefaultStatusUrl" },
        { "SignaturePolicy", "Required", "SigningKey" },
        { "Space", "not a host!", "Space" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task A_bad_value_stops_the_host_at_startup_with_one_failure_naming_the_setting(string key, string value, string named)
    {
        var values = new Dictionary<string, string?> { ["UseEnvironmentFallback"] = "false", ["ProjectId"] = "project", ["ApiToken"] = "token-value", ["BaseUrl"] = "http://127.0.0.1:9" };
        if (key == "Space")
        {
            values.Remove("BaseUrl");
        }

        values[key] = value;
        var section = TestSupport.PlaybackSection(values);

        var error = await TestSupport.StartupValidationErrorAsync(s => s.AddPlayback(section));

        var failure = Assert.Single(error.Failures);
        Assert.Contains(named, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_bad_value_is_reported_in_the_one_startup_error()
    {
        var error = await TestSupport.StartupValidationErrorAsync(s => s.AddPlayback(o =>
        {
            o.UseEnvironmentFallback = false;
            o.PublicBaseUrl = "calls.example.com";
            o.MaxWebhookBodyBytes = -5;
            o.RequestTimeout = TimeSpan.Zero;
            o.AskTimeout = TimeSpan.FromSeconds(-1);
        }));

        TestSupport.AssertEachNamed(error.Failures, "ProjectId", "ApiToken", "Space", "PublicBaseUrl", "MaxWebhookBodyBytes", "RequestTimeout", "AskTimeout");
        Assert.Equal(error.Failures.Count(), error.Failures.Distinct().Count());
    }

    [Fact]
    public async Task A_web_app_with_a_bad_public_base_url_and_the_endpoint_mapped_fails_at_startup_with_one_failure()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => PlaybackWebApp.StartAsync(emulator, o => o.PublicBaseUrl = "calls.example.com"));

        var failure = Assert.Single(error.Failures);
        Assert.Contains("PublicBaseUrl", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPlayback_registers_the_manager_once_when_called_twice()
    {
        var services = new ServiceCollection();
        services.AddPlayback(o => o.ProjectId = "a");
        services.AddPlayback(o => o.ApiToken = "b");

        Assert.Single(services, d => d.ServiceType == typeof(PlaybackManager));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(PlaybackHostedService));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<PlaybackOptions>) && d.ImplementationType == typeof(PlaybackOptionsValidator));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<PlaybackOptions>) && d.ImplementationType == typeof(PlaybackWebhookSecurity));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(PlaybackWebhookSecurity));
    }
}
