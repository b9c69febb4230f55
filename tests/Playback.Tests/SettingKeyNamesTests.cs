using Akka.Configuration;

namespace Playback.Tests;

/// <summary>Validation errors name the key the user set: <c>playback.…</c> for HOCON, the property for values set in code.</summary>
public class SettingKeyNamesTests
{
    private static PlaybackConfigurationException Problems(PlaybackSettings settings) => Assert.Throws<PlaybackConfigurationException>(settings.Validate);

    private static PlaybackSettings Parse(string hocon) => PlaybackSettings.FromConfig(ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void Missing_credentials_read_from_HOCON_name_the_HOCON_keys()
    {
        var e = Problems(Parse("playback { }"));

        AssertEachStartsAProblem(
            e.Problems,
            "playback.project-id is missing",
            "playback.api-token is missing",
            "playback.space is missing, or playback.base-url");
        Assert.DoesNotContain("SIGNALWIRE_", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Playback:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_values_read_from_HOCON_name_their_HOCON_keys()
    {
        var e = Problems(Parse("""
            playback {
              project-id = p, api-token = t, base-url = "http://calls.example.com", request-timeout = 0s, max-connections = 0,
              settle-retry-delay = 0s, webhook-signature-policy = required, resilience.max-retries = 1000
            }
            """));

        AssertEachStartsAProblem(
            e.Problems,
            "playback.base-url may use http:// only for loopback hosts",
            "playback.request-timeout must be greater than zero",
            "playback.max-connections must be 1 to 65535",
            "playback.settle-retry-delay must be positive",
            "playback.resilience.max-retries must be 0 to 100",
            "playback.signing-key is missing but playback.webhook-signature-policy is Required");
        Assert.Equal(6, e.Problems.Count);
    }

    [Fact]
    public void Bad_persistence_values_read_from_HOCON_name_their_HOCON_keys_and_in_code_their_properties()
    {
        var read = Parse("""
            playback {
              project-id = p, api-token = t, space = example
              persistence { provider = sqlite, connection-string = "Data Source=x.db", snapshot-every = 0, recovery-parallelism = 0 }
            }
            """);

        AssertEachStartsAProblem(Problems(read).Problems, "playback.persistence.snapshot-every must be at least 1", "playback.persistence.recovery-parallelism must be at least 1");
        var changed = read with { Persistence = read.Persistence! with { SnapshotEvery = -1 } };
        AssertEachStartsAProblem(Problems(changed).Problems, "Persistence.SnapshotEvery must be at least 1", "Persistence.RecoveryParallelism must be at least 1");
    }

    [Fact]
    public void A_bad_space_read_from_HOCON_names_playback_space()
    {
        var e = Problems(Parse("playback { project-id = p, api-token = t, space = \"not a space!\" }"));

        Assert.Equal("playback.space \"not a space!\" is not a space name or host name", Assert.Single(e.Problems));
    }

    [Fact]
    public void A_value_changed_in_code_after_reading_HOCON_is_named_by_its_property()
    {
        var settings = Parse("playback { project-id = p, api-token = t, space = example, request-timeout = 5s, max-connections = 8 }")
            with { RequestTimeout = TimeSpan.Zero, Resilience = new ResilienceSettings { MaxRetries = -1 } };

        var e = Problems(settings);

        AssertEachStartsAProblem(
            e.Problems,
            "RequestTimeout must be greater than zero",
            "Resilience.MaxRetries must be 0 to 100");
        Assert.Equal(2, e.Problems.Count);
    }

    [Fact]
    public void Settings_built_in_code_are_named_by_their_properties()
    {
        var e = Problems(new PlaybackSettings { MaxConnections = 0, Resilience = new ResilienceSettings { CommandDeadline = TimeSpan.Zero } });

        AssertEachStartsAProblem(
            e.Problems,
            "ProjectId is missing",
            "ApiToken is missing",
            "Space is missing, or BaseUrl",
            "MaxConnections must be 1 to 65535",
            "Resilience.CommandDeadline must be greater than zero");
    }

    [Fact]
    public void Where_the_values_were_read_is_not_part_of_equality()
    {
        var fromHocon = Parse("playback { project-id = p, api-token = t, space = example }");
        var inCode = new PlaybackSettings { ProjectId = "p", ApiToken = "t", Space = "example", Resilience = fromHocon.Resilience };

        Assert.Equal(inCode, fromHocon);
        Assert.Equal(inCode.GetHashCode(), fromHocon.GetHashCode());
    }

    /// <summary>Each of <paramref name="starts"/> begins one of the problems.</summary>
    private static void AssertEachStartsAProblem(IEnumerable<string> problems, params string[] starts)
    {
        foreach (var start in starts)
        {
            Assert.Contains(problems, p => p.StartsWith(start, StringComparison.Ordinal));
        }
    }
}
