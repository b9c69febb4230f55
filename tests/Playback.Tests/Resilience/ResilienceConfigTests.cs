using Akka.Configuration;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// The resilience options and the watchdog's status timeout in HOCON and <see cref="PlaybackSettings"/>: the embedded
/// defaults, every override, bad values, and the HTTP manager really wrapping its client in the pipeline.
/// </summary>
public sealed class ResilienceConfigTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    /// <summary>The defaults documented in hocon/playback.conf.</summary>
    private static readonly ResilienceSettings Documented = new()
    {
        MaxRetries = 4,
        BaseDelay = TimeSpan.FromMilliseconds(200),
        MaxDelay = TimeSpan.FromSeconds(5),
        CommandDeadline = TimeSpan.FromSeconds(45),
        BreakerFailureRatio = 0.5,
        BreakerMinimumThroughput = 20,
        BreakerSamplingDuration = TimeSpan.FromSeconds(10),
        BreakerDuration = TimeSpan.FromSeconds(5),
        RateLimit = 13_800,
        RateLimitPeriod = TimeSpan.FromSeconds(10),
        RateLimitQueue = 100_000,
    };

    private static PlaybackSettings Parse(string hocon) => PlaybackSettings.FromConfig(ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void New_settings_have_the_documented_resilience_defaults_and_a_10_minute_status_timeout()
    {
        var settings = new PlaybackSettings();

        AssertDocumented(settings.Resilience);
        Assert.Equal(Documented, settings.Resilience);
        Assert.Equal(TimeSpan.FromMinutes(10), settings.StatusTimeout);
    }

    [Fact]
    public void An_empty_config_gives_the_same_defaults_as_new_settings()
    {
        var settings = PlaybackSettings.FromConfig(ConfigurationFactory.Empty);

        AssertDocumented(settings.Resilience);
        Assert.Equal(new PlaybackSettings().Resilience, settings.Resilience);
        Assert.Equal(TimeSpan.FromMinutes(10), settings.StatusTimeout);
    }

    [Fact]
    public void FromConfig_reads_every_resilience_key_and_the_status_timeout()
    {
        var settings = Parse("""
            playback {
              status-timeout = 3m
              resilience {
                max-retries = 7
                base-delay = 50ms
                max-delay = 2s
                command-deadline = 20s
                breaker-failure-ratio = 0.25
                breaker-minimum-throughput = 9
                breaker-sampling-duration = 30s
                breaker-duration = 1500ms
                rate-limit = 600
                rate-limit-period = 1m
                rate-limit-queue = 42
              }
            }
            """);

        Assert.Equal(TimeSpan.FromMinutes(3), settings.StatusTimeout);
        Assert.Equal(
            new ResilienceSettings
            {
                MaxRetries = 7, BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(2), CommandDeadline = TimeSpan.FromSeconds(20),
                BreakerFailureRatio = 0.25, BreakerMinimumThroughput = 9, BreakerSamplingDuration = TimeSpan.FromSeconds(30), BreakerDuration = TimeSpan.FromMilliseconds(1500),
                RateLimit = 600, RateLimitPeriod = TimeSpan.FromMinutes(1), RateLimitQueue = 42,
            },
            settings.Resilience);
    }

    [Fact]
    public void FromConfig_takes_one_overridden_key_and_keeps_the_other_defaults()
    {
        var settings = Parse("playback.resilience.max-retries = 0\nplayback.status-timeout = 0s");

        Assert.Equal(Documented with { MaxRetries = 0 }, settings.Resilience);
        Assert.Equal(TimeSpan.Zero, settings.StatusTimeout);
    }

    [Theory]
    [InlineData("resilience.max-retries", "lots")]
    [InlineData("resilience.base-delay", "soon")]
    [InlineData("resilience.max-delay", "later")]
    [InlineData("resilience.command-deadline", "never")]
    [InlineData("resilience.breaker-failure-ratio", "half")]
    [InlineData("resilience.breaker-minimum-throughput", "many")]
    [InlineData("resilience.breaker-sampling-duration", "long")]
    [InlineData("resilience.breaker-duration", "short")]
    [InlineData("resilience.rate-limit", "fast")]
    [InlineData("resilience.rate-limit-period", "often")]
    [InlineData("resilience.rate-limit-queue", "deep")]
    [InlineData("status-timeout", "patience")]
    public void A_bad_value_is_refused_with_a_PlaybackConfigurationException_naming_its_key(string key, string value)
    {
        var error = Assert.Throws<PlaybackConfigurationException>(() => Parse($"playback.{key} = {value}"));

        Assert.Contains($"playback.{key}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_resilience_settings_are_refused_when_a_manager_is_created()
    {
        var settings = Settings with { Resilience = new ResilienceSettings { MaxRetries = -1, BreakerFailureRatio = 0 } };

        var error = Assert.Throws<PlaybackConfigurationException>(() => PlaybackManager.Create(Sys, settings, Api));

        Assert.Contains(error.Problems, p => p.Contains("Resilience.MaxRetries", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("failure ratio", StringComparison.Ordinal));
    }

    [Fact]
    public void A_negative_status_timeout_is_refused()
    {
        var error = Assert.Throws<PlaybackConfigurationException>(() => PlaybackManager.Create(Sys, Settings with { StatusTimeout = TimeSpan.FromSeconds(-1) }, Api));

        Assert.Contains(error.Problems, p => p.Contains("StatusTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_HTTP_manager_retries_connection_errors_through_the_pipeline_and_counts_the_retries()
    {
        // Nothing listens on port 1 of the loopback address: every attempt is refused at once.
        var settings = new PlaybackSettings
        {
            ProjectId = "project",
            ApiToken = "token",
            BaseUrl = new Uri("http://127.0.0.1:1"),
            DefaultStatusUrl = new Uri("http://127.0.0.1:1/status"),
            AskTimeout = TimeSpan.FromSeconds(20),
            Resilience = new ResilienceSettings { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
        };
        await using var manager = PlaybackManager.Create(Sys, settings);

        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => Within10s(manager.PlayAsync("call-refused", Hello)));

        Assert.True(error.IsTransient);
        Assert.Null(error.StatusCode);
        Assert.Equal(2, manager.Statistics.Retries);
        Assert.Equal(0, manager.Statistics.BreakerOpenings);
        Assert.Equal(1, manager.Statistics.RequestsSent);
    }

    private static void AssertDocumented(ResilienceSettings r)
    {
        Assert.Equal(4, r.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(200), r.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), r.MaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(45), r.CommandDeadline);
        Assert.Equal(0.5, r.BreakerFailureRatio);
        Assert.Equal(20, r.BreakerMinimumThroughput);
        Assert.Equal(TimeSpan.FromSeconds(10), r.BreakerSamplingDuration);
        Assert.Equal(TimeSpan.FromSeconds(5), r.BreakerDuration);
        Assert.Equal(13_800, r.RateLimit);
        Assert.Equal(TimeSpan.FromSeconds(10), r.RateLimitPeriod);
        Assert.Equal(100_000, r.RateLimitQueue);
    }
}
