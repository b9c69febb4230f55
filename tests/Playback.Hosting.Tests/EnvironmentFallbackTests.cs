using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Playback.Hosting.Tests;

/// <summary>Tests that change process environment variables run alone, after every other test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Process environment";
}

/// <summary>The <c>SIGNALWIRE_*</c> / <c>PLAYBACK_BASE_URL</c> fallback of <see cref="PlaybackOptions"/>.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class EnvironmentFallbackTests
{
    private static readonly string[] Variables = ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE", "SIGNALWIRE_SIGNING_KEY", "PLAYBACK_BASE_URL", "PLAYBACK_STATUS_URL"];

    [Fact]
    public async Task Unset_options_fall_back_to_the_SIGNALWIRE_variables_and_the_manager_plays_with_them()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var statusUrl = new Uri(emulator.BaseUrl, "/status"); // webhooks go back to the emulator, which answers 404: nothing leaves the machine
        await WithEnvironmentAsync(new()
        {
            ["PLAYBACK_STATUS_URL"] = statusUrl.AbsoluteUri,
            ["SIGNALWIRE_PROJECT_ID"] = emulator.ProjectId,
            ["SIGNALWIRE_API_TOKEN"] = emulator.ApiToken,
            ["SIGNALWIRE_SIGNING_KEY"] = emulator.SigningKey,
            ["SIGNALWIRE_SPACE"] = "example",
            ["PLAYBACK_BASE_URL"] = emulator.BaseUrl.ToString(),
        }, async () =>
        {
            using var host = BuildHost(o => o.UseEnvironmentFallback = true);
            await host.StartAsync();
            var playback = host.Services.GetRequiredService<PlaybackManager>();

            Assert.Equal(emulator.ProjectId, playback.Settings.ProjectId);
            Assert.Equal(emulator.ApiToken, playback.Settings.ApiToken);
            Assert.Equal(emulator.SigningKey, playback.Settings.SigningKey);
            Assert.Equal("example", playback.Settings.Space);
            Assert.Equal(emulator.BaseUrl, playback.Settings.BaseUrl);
            Assert.Equal(statusUrl, playback.Settings.DefaultStatusUrl);
            var handle = await playback.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);
            Assert.Equal(PlaybackState.Playing, handle.Current);
            Assert.True(handle.IsTracked);
            await host.StopAsync();
        });
    }

    [Fact]
    public async Task The_space_alone_from_the_environment_satisfies_validation_and_resolves_the_signalwire_host()
    {
        await WithEnvironmentAsync(EnvironmentCredentials("myspace"), async () =>
        {
            using var host = BuildHost(o => o.UseEnvironmentFallback = true);
            await host.StartAsync();

            var settings = host.Services.GetRequiredService<PlaybackManager>().Settings;

            Assert.Equal("myspace", settings.Space);
            Assert.Equal(new Uri("https://myspace.signalwire.com"), settings.ResolveBaseUrl());
            await host.StopAsync();
        });
    }

    [Fact]
    public async Task A_missing_credential_names_the_option_and_its_variable_and_a_bad_value_from_the_environment_names_the_variable()
    {
        await WithEnvironmentAsync(new() { ["SIGNALWIRE_API_TOKEN"] = "env-token", ["SIGNALWIRE_SPACE"] = "not a space!" }, () =>
        {
            var e = Assert.Throws<PlaybackConfigurationException>(new PlaybackOptions().ToSettings().Validate);

            Assert.Contains(e.Problems, p => p.StartsWith("Playback:ProjectId (or SIGNALWIRE_PROJECT_ID) is missing", StringComparison.Ordinal));
            Assert.Contains(e.Problems, p => p.StartsWith("SIGNALWIRE_SPACE \"not a space!\" is not a space name", StringComparison.Ordinal));
            Assert.Equal(2, e.Problems.Count);
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Values_set_in_code_win_over_the_environment()
    {
        await WithEnvironmentAsync(EnvironmentCredentials("envspace"), async () =>
        {
            using var host = BuildHost(o =>
            {
                o.ProjectId = "code-project";
                o.Space = "codespace";
            });
            await host.StartAsync();

            var settings = host.Services.GetRequiredService<PlaybackManager>().Settings;

            Assert.Equal("code-project", settings.ProjectId);
            Assert.Equal("env-token", settings.ApiToken);
            Assert.Equal("codespace", settings.Space);
            await host.StopAsync();
        });
    }

    [Fact]
    public async Task With_the_fallback_off_the_environment_is_ignored_and_startup_fails()
    {
        await WithEnvironmentAsync(EnvironmentCredentials("envspace"), async () =>
        {
            using var host = BuildHost(o => o.UseEnvironmentFallback = false);

            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

            Assert.Contains(error.Failures, f => f.Contains("ProjectId", StringComparison.Ordinal));
            Assert.Contains(error.Failures, f => f.Contains("ApiToken", StringComparison.Ordinal));
            Assert.Contains(error.Failures, f => f.Contains("Space", StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task A_bad_PLAYBACK_BASE_URL_is_reported_at_startup_rather_than_thrown_from_the_validator()
    {
        await WithEnvironmentAsync(new()
        {
            ["SIGNALWIRE_PROJECT_ID"] = "env-project",
            ["SIGNALWIRE_API_TOKEN"] = "env-token",
            ["PLAYBACK_BASE_URL"] = "not a url",
        }, async () =>
        {
            using var host = BuildHost(o => o.UseEnvironmentFallback = true);

            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

            Assert.Contains(error.Failures, f => f.Contains("PLAYBACK_BASE_URL", StringComparison.Ordinal));
        });
    }

    /// <summary>A generic host with <c>AddPlayback(configure)</c>, not started.</summary>
    private static IHost BuildHost(Action<PlaybackOptions> configure)
    {
        var builder = TestSupport.HostBuilder();
        builder.Services.AddPlayback(configure);
        return builder.Build();
    }

    /// <summary>A project id, an API token and <paramref name="space"/> in the SIGNALWIRE_* variables.</summary>
    private static Dictionary<string, string> EnvironmentCredentials(string space) => new()
    {
        ["SIGNALWIRE_PROJECT_ID"] = "env-project",
        ["SIGNALWIRE_API_TOKEN"] = "env-token",
        ["SIGNALWIRE_SPACE"] = space,
    };

    private static async Task WithEnvironmentAsync(Dictionary<string, string> values, Func<Task> test)
    {
        var saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var name in Variables)
            {
                Environment.SetEnvironmentVariable(name, values.GetValueOrDefault(name));
            }

            await test();
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
