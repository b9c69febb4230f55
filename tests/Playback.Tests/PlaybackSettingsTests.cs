using Akka.Configuration;

namespace Playback.Tests;

public class PlaybackSettingsTests
{
    private static PlaybackSettings Parse(string hocon) => PlaybackSettings.FromConfig(ConfigurationFactory.ParseString(hocon));

    /// <summary>Parsing <paramref name="hocon"/> is refused with a problem that names <paramref name="named"/>; returns the refusal.</summary>
    private static PlaybackConfigurationException RefusedNaming(string hocon, string named)
    {
        var e = Assert.Throws<PlaybackConfigurationException>(() => Parse(hocon));
        Assert.Contains(e.Problems, p => p.Contains(named, StringComparison.Ordinal));
        return e;
    }

    [Fact]
    public void FromConfig_reads_every_key_of_the_playback_block()
    {
        var settings = Parse("playback { project-id = p, api-token = t, space = s, request-timeout = 5s, webhook-signature-policy = when-present, signing-key = k }");

        Assert.Equal("p", settings.ProjectId);
        Assert.Equal("t", settings.ApiToken);
        Assert.Equal("s", settings.Space);
        Assert.Equal("k", settings.SigningKey);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.RequestTimeout);
        Assert.Equal(WebhookSignaturePolicy.WhenPresent, settings.SignaturePolicy);
        Assert.Equal(WebhookSignaturePolicy.WhenPresent, settings.EffectiveSignaturePolicy);
        Assert.Null(settings.BaseUrl);
        Assert.Null(settings.DefaultStatusUrl);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.AskTimeout);
        Assert.Equal(TimeSpan.FromSeconds(120), settings.IdleTimeout);
    }

    [Fact]
    public void Untracked_plays_are_refused_by_default_and_allowed_by_the_hocon_switch()
    {
        Assert.False(new PlaybackSettings().AllowUntrackedPlays);
        Assert.False(Parse("playback.project-id = p").AllowUntrackedPlays);
        Assert.True(Parse("playback.allow-untracked-plays = on").AllowUntrackedPlays);
        RefusedNaming("playback.allow-untracked-plays = sometimes", "allow-untracked-plays");
    }

    [Fact]
    public void FromConfig_rejects_a_default_status_url_that_is_not_http()
    {
        RefusedNaming("playback.default-status-url = \"ftp://calls.example.com/events\"", "playback.default-status-url");
    }

    [Fact]
    public void FromConfig_reads_urls_and_the_other_timeouts()
    {
        var settings = Parse("""
            playback {
              base-url = "http://127.0.0.1:5555"
              default-status-url = "https://hooks.example.com/status"
              ask-timeout = 2m
              idle-timeout = 500ms
              settle-retry-delay = 30s
              webhook-signature-policy = off
            }
            """);

        Assert.Equal(new Uri("http://127.0.0.1:5555"), settings.BaseUrl);
        Assert.Equal(new Uri("https://hooks.example.com/status"), settings.DefaultStatusUrl);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.AskTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.SettleRetryDelay);
        Assert.Equal(WebhookSignaturePolicy.Off, settings.SignaturePolicy);
    }

    [Fact]
    public void The_settle_retry_delay_defaults_to_5_s_and_must_be_positive()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), new PlaybackSettings().SettleRetryDelay);

        var e = Assert.Throws<PlaybackConfigurationException>(() =>
            new PlaybackSettings { ProjectId = "p", ApiToken = "t", Space = "example", SettleRetryDelay = TimeSpan.Zero }.Validate());

        Assert.Contains(e.Problems, p => p.Contains("SettleRetryDelay must be positive", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("required", WebhookSignaturePolicy.Required)]
    [InlineData("REQUIRED", WebhookSignaturePolicy.Required)]
    [InlineData("when-present", WebhookSignaturePolicy.WhenPresent)]
    [InlineData("off", WebhookSignaturePolicy.Off)]
    public void FromConfig_reads_each_signature_policy_name(string name, WebhookSignaturePolicy expected)
    {
        Assert.Equal(expected, Parse($"playback.webhook-signature-policy = {name}").SignaturePolicy);
    }

    [Fact]
    public void FromConfig_auto_policy_means_unset()
    {
        Assert.Null(Parse("playback.webhook-signature-policy = auto").SignaturePolicy);
    }

    [Fact]
    public void FromConfig_takes_the_embedded_defaults_for_absent_keys()
    {
        var settings = Parse("playback { project-id = p }");

        Assert.Equal("p", settings.ProjectId);
        Assert.Null(settings.ApiToken);
        Assert.Null(settings.Space);
        Assert.Null(settings.BaseUrl);
        Assert.Null(settings.SigningKey);
        Assert.Null(settings.DefaultStatusUrl);
        Assert.Null(settings.SignaturePolicy);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.AskTimeout);
        Assert.Equal(TimeSpan.FromSeconds(120), settings.IdleTimeout);
    }

    [Fact]
    public void FromConfig_of_a_config_without_a_playback_block_gives_the_defaults()
    {
        var settings = PlaybackSettings.FromConfig(ConfigurationFactory.ParseString("akka.loglevel = INFO"));

        Assert.Equal(new PlaybackSettings(), settings);
    }

    [Fact]
    public void New_settings_have_the_same_timeouts_as_the_embedded_hocon()
    {
        var settings = new PlaybackSettings();

        Assert.Equal(TimeSpan.FromSeconds(30), settings.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.AskTimeout);
        Assert.Equal(TimeSpan.FromSeconds(120), settings.IdleTimeout);
    }

    [Fact]
    public void FromConfig_rejects_an_unknown_policy_naming_the_key()
    {
        var e = Assert.Throws<PlaybackConfigurationException>(() => Parse("playback.webhook-signature-policy = sometimes"));

        var problem = Assert.Single(e.Problems);
        Assert.Contains("webhook-signature-policy", problem, StringComparison.Ordinal);
        Assert.Contains("sometimes", problem, StringComparison.Ordinal);
        Assert.Contains("webhook-signature-policy", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Duration keys with values that are not durations.</summary>
    public static TheoryData<string, string> BadDurations => new()
    {
        { "request-timeout", "soon" }, { "ask-timeout", "soon" }, { "idle-timeout", "soon" }, { "settle-retry-delay", "soon" },
        { "request-timeout", "\"5 fortnights\"" }, { "idle-timeout", "\"\"" },
    };

    [Theory]
    [MemberData(nameof(BadDurations))]
    public void FromConfig_rejects_a_bad_duration_naming_the_key(string key, string value)
    {
        var e = RefusedNaming($"playback.{key} = {value}", key);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_rejects_a_relative_base_url_naming_the_key()
    {
        RefusedNaming("playback.base-url = \"api/calls\"", "base-url");
    }

    [Fact]
    public void FromConfig_of_null_throws_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => PlaybackSettings.FromConfig(null!));
    }

    [Fact]
    public void Validate_on_empty_settings_lists_project_id_api_token_and_space_in_one_exception()
    {
        var e = Assert.Throws<PlaybackConfigurationException>(() => new PlaybackSettings().Validate());

        Assert.Equal(3, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.Contains("ProjectId", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("ApiToken", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("Space", StringComparison.Ordinal));
        Assert.Contains("ProjectId", e.Message, StringComparison.Ordinal);
        Assert.Contains("ApiToken", e.Message, StringComparison.Ordinal);
        Assert.Contains("Space", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_accepts_complete_settings()
    {
        new PlaybackSettings { ProjectId = "p", ApiToken = "t", Space = "example" }.Validate();
        new PlaybackSettings { ProjectId = "p", ApiToken = "t", BaseUrl = new Uri("http://[::1]:5555") }.Validate();
    }

    [Fact]
    public void Validate_reports_bad_timeouts_status_url_and_a_policy_without_a_key_together()
    {
        var settings = new PlaybackSettings
        {
            ProjectId = "p",
            ApiToken = "t",
            Space = "example",
            DefaultStatusUrl = new Uri("ftp://hooks.example.com/status"),
            RequestTimeout = TimeSpan.Zero,
            AskTimeout = TimeSpan.FromSeconds(-1),
            SignaturePolicy = WebhookSignaturePolicy.Required,
        };

        var e = Assert.Throws<PlaybackConfigurationException>(settings.Validate);

        Assert.Equal(4, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.Contains("DefaultStatusUrl", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("RequestTimeout", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("AskTimeout", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("SigningKey", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://evil.example.com")]
    [InlineData("ftp://api.example.com")]
    public void Validate_rejects_a_base_url_that_is_not_https_or_loopback_http(string url)
    {
        var e = Assert.Throws<PlaybackConfigurationException>(new PlaybackSettings { ProjectId = "p", ApiToken = "t", BaseUrl = new Uri(url) }.Validate);

        Assert.Contains(e.Problems, p => p.Contains("BaseUrl", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("example", null, "https://example.signalwire.com/")]
    [InlineData("example.signalwire.com", null, "https://example.signalwire.com/")]
    [InlineData(" example ", null, "https://example.signalwire.com/")]
    [InlineData("example", "https://api.example.com/some/path", "https://api.example.com/")]
    [InlineData(null, "http://127.0.0.1:5555", "http://127.0.0.1:5555/")]
    public void ResolveBaseUrl_prefers_the_base_url_and_completes_a_bare_space(string? space, string? baseUrl, string expected)
    {
        var settings = new PlaybackSettings { Space = space, BaseUrl = baseUrl is null ? null : new Uri(baseUrl) };

        Assert.Equal(new Uri(expected), settings.ResolveBaseUrl());
    }

    [Fact]
    public void ToString_never_shows_the_api_token_or_signing_key()
    {
        var settings = new PlaybackSettings { ProjectId = "proj", ApiToken = "tok-secret-123", Space = "example", SigningKey = "sk-secret-456" };

        var text = settings.ToString();

        Assert.DoesNotContain("tok-secret-123", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret-456", text, StringComparison.Ordinal);
        Assert.Contains("proj", text, StringComparison.Ordinal);
        Assert.Contains("example", text, StringComparison.Ordinal);
        Assert.Contains("ApiToken = (set)", text, StringComparison.Ordinal);
        Assert.Contains("SigningKey = (set)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-secret-123", $"{settings}", StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_says_when_secrets_are_not_set()
    {
        var text = new PlaybackSettings().ToString();

        Assert.Contains("ApiToken = (not set)", text, StringComparison.Ordinal);
        Assert.Contains("SigningKey = (not set)", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, WebhookSignaturePolicy.Off)]
    [InlineData("", null, WebhookSignaturePolicy.Off)]
    [InlineData("k", null, WebhookSignaturePolicy.Required)]
    [InlineData("k", WebhookSignaturePolicy.WhenPresent, WebhookSignaturePolicy.WhenPresent)]
    [InlineData("k", WebhookSignaturePolicy.Off, WebhookSignaturePolicy.Off)]
    [InlineData(null, WebhookSignaturePolicy.Off, WebhookSignaturePolicy.Off)]
    public void EffectiveSignaturePolicy_is_required_with_a_key_and_off_without_unless_set(string? key, WebhookSignaturePolicy? policy, WebhookSignaturePolicy expected)
    {
        Assert.Equal(expected, new PlaybackSettings { SigningKey = key, SignaturePolicy = policy }.EffectiveSignaturePolicy);
    }

    [Fact]
    public void EffectiveSignaturePolicy_read_from_hocon_follows_the_signing_key()
    {
        Assert.Equal(WebhookSignaturePolicy.Required, Parse("playback.signing-key = k").EffectiveSignaturePolicy);
        Assert.Equal(WebhookSignaturePolicy.Off, Parse("playback.project-id = p").EffectiveSignaturePolicy);
    }
}

[CollectionDefinition("environment", DisableParallelization = true)]
public class EnvironmentCollection
{
}

[Collection("environment")]
public class PlaybackSettingsEnvironmentTests
{
    private static readonly string[] Names =
        ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE", "SIGNALWIRE_SIGNING_KEY", "PLAYBACK_BASE_URL", "PLAYBACK_STATUS_URL"];

    private static void WithEnvironment(IReadOnlyDictionary<string, string?> values, Action test)
    {
        var saved = Names.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var name in Names)
            {
                Environment.SetEnvironmentVariable(name, values.TryGetValue(name, out var v) ? v : null);
            }

            test();
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    [Fact]
    public void Missing_credentials_from_the_environment_name_the_variables()
    {
        WithEnvironment(new Dictionary<string, string?>(), () =>
        {
            var e = Assert.Throws<PlaybackConfigurationException>(PlaybackSettings.FromEnvironment().Validate);

            Assert.Contains(e.Problems, p => p.StartsWith("SIGNALWIRE_PROJECT_ID is missing", StringComparison.Ordinal));
            Assert.Contains(e.Problems, p => p.StartsWith("SIGNALWIRE_API_TOKEN is missing", StringComparison.Ordinal));
            Assert.Contains(e.Problems, p => p.StartsWith("SIGNALWIRE_SPACE is missing, or PLAYBACK_BASE_URL", StringComparison.Ordinal));
            Assert.DoesNotContain("playback.", e.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Bad_values_from_the_environment_name_their_variables()
    {
        WithEnvironment(
            new Dictionary<string, string?> { ["SIGNALWIRE_PROJECT_ID"] = "p", ["SIGNALWIRE_API_TOKEN"] = "t", ["SIGNALWIRE_SPACE"] = "not a space!" },
            () => Assert.Equal(
                "SIGNALWIRE_SPACE \"not a space!\" is not a space name or host name",
                Assert.Single(Assert.Throws<PlaybackConfigurationException>(PlaybackSettings.FromEnvironment().Validate).Problems)));
        WithEnvironment(
            new Dictionary<string, string?> { ["SIGNALWIRE_PROJECT_ID"] = "p", ["SIGNALWIRE_API_TOKEN"] = "t", ["PLAYBACK_BASE_URL"] = "http://calls.example.com" },
            () => Assert.StartsWith(
                "PLAYBACK_BASE_URL may use http:// only for loopback hosts",
                Assert.Single(Assert.Throws<PlaybackConfigurationException>(PlaybackSettings.FromEnvironment().Validate).Problems)));
    }

    [Fact]
    public void HOCON_with_the_environment_over_it_names_both_keys_for_a_missing_value_and_the_winning_one_for_a_bad_value()
    {
        WithEnvironment(new Dictionary<string, string?> { ["SIGNALWIRE_SPACE"] = "not a space!" }, () =>
        {
            var settings = PlaybackSettings.FromConfig(ConfigurationFactory.ParseString("playback { api-token = t, space = example }")).WithEnvironment();

            var e = Assert.Throws<PlaybackConfigurationException>(settings.Validate);

            Assert.Contains(e.Problems, p => p.StartsWith("SIGNALWIRE_PROJECT_ID (or playback.project-id) is missing", StringComparison.Ordinal));
            Assert.Contains(e.Problems, p => p.StartsWith("SIGNALWIRE_SPACE \"not a space!\"", StringComparison.Ordinal));
            Assert.Equal(2, e.Problems.Count);
        });
    }

    [Fact]
    public void FromEnvironment_reads_the_signalwire_variables_and_the_base_url()
    {
        WithEnvironment(
            new Dictionary<string, string?>
            {
                ["SIGNALWIRE_PROJECT_ID"] = "env-proj",
                ["SIGNALWIRE_API_TOKEN"] = "env-token",
                ["SIGNALWIRE_SPACE"] = "env-space.signalwire.com",
                ["SIGNALWIRE_SIGNING_KEY"] = "env-key",
                ["PLAYBACK_BASE_URL"] = "http://127.0.0.1:5555",
            },
            () =>
            {
                var settings = PlaybackSettings.FromEnvironment();

                Assert.Equal("env-proj", settings.ProjectId);
                Assert.Equal("env-token", settings.ApiToken);
                Assert.Equal("env-space.signalwire.com", settings.Space);
                Assert.Equal("env-key", settings.SigningKey);
                Assert.Equal(new Uri("http://127.0.0.1:5555"), settings.BaseUrl);
                Assert.Equal(WebhookSignaturePolicy.Required, settings.EffectiveSignaturePolicy);
                Assert.Equal(TimeSpan.FromSeconds(30), settings.RequestTimeout);
                settings.Validate();
            });
    }

    [Fact]
    public void FromEnvironment_without_variables_gives_the_defaults()
    {
        WithEnvironment(
            new Dictionary<string, string?>(),
            () =>
            {
                var settings = PlaybackSettings.FromEnvironment();

                Assert.Equal(new PlaybackSettings(), settings);
                Assert.Equal(WebhookSignaturePolicy.Off, settings.EffectiveSignaturePolicy);
            });
    }

    [Fact]
    public void WithEnvironment_overrides_only_the_variables_that_are_set()
    {
        WithEnvironment(
            new Dictionary<string, string?> { ["SIGNALWIRE_API_TOKEN"] = "env-token", ["SIGNALWIRE_SPACE"] = string.Empty },
            () =>
            {
                var settings = new PlaybackSettings { ProjectId = "cfg-proj", ApiToken = "cfg-token", Space = "cfg-space" }.WithEnvironment();

                Assert.Equal("cfg-proj", settings.ProjectId);
                Assert.Equal("env-token", settings.ApiToken);
                Assert.Equal("cfg-space", settings.Space);
                Assert.Null(settings.BaseUrl);
            });
    }

    [Fact]
    public void FromEnvironment_rejects_a_relative_base_url_naming_the_variable()
    {
        WithEnvironment(
            new Dictionary<string, string?> { ["PLAYBACK_BASE_URL"] = "not/a/url" },
            () =>
            {
                var e = Assert.Throws<PlaybackConfigurationException>(PlaybackSettings.FromEnvironment);

                Assert.Contains(e.Problems, p => p.Contains("PLAYBACK_BASE_URL", StringComparison.Ordinal));
            });
    }

    [Fact]
    public void FromEnvironment_reads_the_default_status_url()
    {
        WithEnvironment(
            new Dictionary<string, string?> { ["PLAYBACK_STATUS_URL"] = "https://calls.example.com/signalwire/events" },
            () => Assert.Equal(new Uri("https://calls.example.com/signalwire/events"), PlaybackSettings.FromEnvironment().DefaultStatusUrl));
    }

    [Theory]
    [InlineData("not/a/url")]
    [InlineData("ftp://calls.example.com/events")]
    public void FromEnvironment_rejects_a_status_url_that_is_not_absolute_http_naming_the_variable(string value)
    {
        WithEnvironment(
            new Dictionary<string, string?> { ["PLAYBACK_STATUS_URL"] = value },
            () =>
            {
                var e = Assert.Throws<PlaybackConfigurationException>(PlaybackSettings.FromEnvironment);

                Assert.Contains(e.Problems, p => p.Contains("PLAYBACK_STATUS_URL", StringComparison.Ordinal) && p.Contains("http", StringComparison.Ordinal));
            });
    }
}
