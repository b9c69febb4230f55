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
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Playback:ProjectId"] = emulator.ProjectId,
            ["Playback:ApiToken"] = emulator.ApiToken,
            ["Playback:BaseUrl"] = emulator.BaseUrl.ToString(),
            ["Playback:SigningKey"] = emulator.SigningKey,
            ["Playback:DefaultStatusUrl"] = "https://hooks.example.com/status",
            ["Playback:SignaturePolicy"] = "WhenPresent",
            ["Playback:RequestTimeout"] = "00:00:07",
            ["Playback:AskTimeout"] = "00:00:09",
            ["Playback:IdleTimeout"] = "00:03:00",
            ["Playback:MaxWebhookBodyBytes"] = "2048",
            ["Playback:UseEnvironmentFallback"] = "false",
            ["Playback:MaxConnections"] = "32",
            ["Playback:StatusTimeout"] = "00:02:00",
            ["Playback:SettleRetryDelay"] = "00:00:20",
            ["Playback:Resilience:MaxRetries"] = "7",
            ["Playback:Resilience:CommandDeadline"] = "00:00:08",
            ["Playback:Resilience:RateLimit"] = "500",
        }).Build();
        var builder = TestSupport.HostBuilder();
        builder.Services.AddPlayback(configuration.GetSection("Playback"));
        using var host = builder.Build();
        await host.StartAsync();

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
        var builder = TestSupport.HostBuilder();
        builder.Services.AddPlayback(o =>
        {
            o.UseEmulator(emulator);
            o.SigningKey = null;
            o.RequestTimeout = TimeSpan.FromSeconds(3);
            o.DefaultStatusUrl = "https://hooks.example.com/from-code";
        });
        using var host = builder.Build();
        await host.StartAsync();

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
        var builder = TestSupport.HostBuilder();
        builder.Services.AddPlayback(o => o.UseEmulator(emulator));
        using var host = builder.Build();
        await host.StartAsync();
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
        var builder = TestSupport.HostBuilder();
        builder.Services.AddPlayback(o => o.UseEnvironmentFallback = false);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(typeof(PlaybackOptions), error.OptionsType);
        Assert.Contains(error.Failures, f => f.Contains("ProjectId", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("ApiToken", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Space", StringComparison.Ordinal));
        Assert.Contains("ProjectId", error.Message, StringComparison.Ordinal);
        Assert.Contains("ApiToken", error.Message, StringComparison.Ordinal);
        Assert.Contains("Space", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_credentials_in_a_bound_section_stop_the_host_at_startup_too()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Playback:UseEnvironmentFallback"] = "false",
            ["Playback:ProjectId"] = "project",
        }).Build();
        var builder = TestSupport.HostBuilder();
        builder.Services.AddPlayback(configuration.GetSection("Playback"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.DoesNotContain(error.Failures, f => f.Contains("ProjectId", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("ApiToken", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Space", StringComparison.Ordinal));
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
        var values = new Dictionary<string, string?>
        {
            ["Playback:UseEnvironmentFallback"] = "false",
            ["Playback:ProjectId"] = "project",
            ["Playback:ApiToken"] = "token-value",
            ["Playback:BaseUrl"] = "http://127.0.0.1:9",
        };
        if (key == "Space")
        {
            values.Remove("Playback:BaseUrl");
        }

        values["Playback:" + key] = value;
        var builder = TestSupport.HostBuilder();
        builder.Services.AddPlayback(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Playback"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        var failure = Assert.Single(error.Failures);
        Assert.Contains(named, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_bad_value_is_reported_in_the_one_startup_error()
    {
        var builder = TestSupport.HostBuilder();
        builder.Services.AddPlayback(o =>
        {
            o.UseEnvironmentFallback = false;
            o.PublicBaseUrl = "calls.example.com";
            o.MaxWebhookBodyBytes = -5;
            o.RequestTimeout = TimeSpan.Zero;
            o.AskTimeout = TimeSpan.FromSeconds(-1);
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        foreach (var named in new[] { "ProjectId", "ApiToken", "Space", "PublicBaseUrl", "MaxWebhookBodyBytes", "RequestTimeout", "AskTimeout" })
        {
            Assert.Contains(error.Failures, f => f.Contains(named, StringComparison.Ordinal));
        }

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
