using Akka.Configuration;

namespace Playback;

/// <summary>The embedded reference configuration and its reader.</summary>
internal static class PlaybackConfig
{
    public static readonly Config Reference = LoadReference();

    public static readonly (TimeSpan RequestTimeout, TimeSpan AskTimeout, TimeSpan IdleTimeout, TimeSpan StatusTimeout, TimeSpan SettleRetryDelay, int MaxConnections) Defaults = ReadDefaults();

    public static readonly ResilienceDefaults Resilience = ReadResilience(Reference.GetConfig("playback"));

    public static PlaybackSettings Read(Config config)
    {
        try
        {
            var c = config.GetConfig("playback") ?? throw new PlaybackConfigurationException(["the config has no playback block"]);
            return new PlaybackSettings
            {
                ProjectId = NullIfEmpty(c.GetString("project-id", string.Empty)),
                ApiToken = NullIfEmpty(c.GetString("api-token", string.Empty)),
                Space = NullIfEmpty(c.GetString("space", string.Empty)),
                BaseUrl = NullIfEmpty(c.GetString("base-url", string.Empty)) is { } b ? ParseUrl(b, "playback.base-url") : null,
                SigningKey = NullIfEmpty(c.GetString("signing-key", string.Empty)),
                DefaultStatusUrl = NullIfEmpty(c.GetString("default-status-url", string.Empty)) is { } s ? ParseHttpUrl(s, "playback.default-status-url") : null,
                AllowUntrackedPlays = ReadBool(c, "allow-untracked-plays"),
                SignaturePolicy = ParsePolicy(c.GetString("webhook-signature-policy", "auto")),
                RequestTimeout = ReadDuration(c, "request-timeout"),
                AskTimeout = ReadDuration(c, "ask-timeout"),
                IdleTimeout = ReadDuration(c, "idle-timeout"),
                StatusTimeout = ReadDuration(c, "status-timeout"),
                SettleRetryDelay = ReadDuration(c, "settle-retry-delay"),
                MaxConnections = ReadInt(c, "max-connections"),
                Resilience = ReadResilience(c).ToSettings(),
                Persistence = ReadPersistence(c),
            };
        }
        catch (ConfigurationException e)
        {
            throw new PlaybackConfigurationException([e.Message]);
        }
        catch (FormatException e)
        {
            throw new PlaybackConfigurationException([e.Message]);
        }
    }

    /// <summary><c>playback.persistence</c>: off while its provider is empty.</summary>
    private static PlaybackPersistenceSettings? ReadPersistence(Config c)
    {
        var p = c.GetConfig("persistence");
        if (p is null || NullIfEmpty(p.GetString("provider", string.Empty)) is not { } provider)
        {
            return null;
        }

        return PlaybackPersistenceSettings.Parse(provider, NullIfEmpty(p.GetString("connection-string", string.Empty)), "playback.persistence.provider") with
        {
            SnapshotEvery = p.GetInt("snapshot-every", 100),
            AutoInitialize = p.GetBoolean("auto-initialize", true),
            RecoveryParallelism = p.GetInt("recovery-parallelism", 64),
        };
    }

    public static Uri ParseUrl(string value, string key) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
            ? uri
            : throw new PlaybackConfigurationException([$"{key} must be an absolute URL (was \"{value}\")"]);

    /// <summary>An absolute http(s) URL, as a status URL must be.</summary>
    public static Uri ParseHttpUrl(string value, string key) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new PlaybackConfigurationException([$"{key} must be an absolute http or https URL (was \"{value}\")"]);

    private static WebhookSignaturePolicy? ParsePolicy(string value) => value.Trim().ToLowerInvariant() switch
    {
        "" or "auto" => null,
        "required" => WebhookSignaturePolicy.Required,
        "when-present" or "whenpresent" => WebhookSignaturePolicy.WhenPresent,
        "off" => WebhookSignaturePolicy.Off,
        _ => throw new PlaybackConfigurationException([$"playback.webhook-signature-policy must be auto, required, when-present or off (was \"{value}\")"]),
    };

    private static TimeSpan ReadDuration(Config c, string key)
    {
        try
        {
            return c.GetTimeSpan(key);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException)
        {
            throw new PlaybackConfigurationException([$"playback.{key} must be a duration such as 30s or 500ms (was \"{c.GetString(key, string.Empty)}\")"]);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static Config LoadReference()
    {
        using var stream = typeof(PlaybackConfig).Assembly.GetManifestResourceStream("Playback.playback.conf")
            ?? throw new InvalidOperationException("The embedded playback.conf is missing from the Playback assembly.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    private static ResilienceDefaults ReadResilience(Config c) => new(
        ReadInt(c, "resilience.max-retries"),
        ReadDuration(c, "resilience.base-delay"),
        ReadDuration(c, "resilience.max-delay"),
        ReadDuration(c, "resilience.command-deadline"),
        ReadDouble(c, "resilience.breaker-failure-ratio"),
        ReadInt(c, "resilience.breaker-minimum-throughput"),
        ReadDuration(c, "resilience.breaker-sampling-duration"),
        ReadDuration(c, "resilience.breaker-duration"),
        ReadInt(c, "resilience.rate-limit"),
        ReadDuration(c, "resilience.rate-limit-period"),
        ReadInt(c, "resilience.rate-limit-queue"));

    private static int ReadInt(Config c, string key)
    {
        try
        {
            return c.GetInt(key);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException)
        {
            throw new PlaybackConfigurationException([$"playback.{key} must be a whole number (was \"{c.GetString(key, string.Empty)}\")"]);
        }
    }

    private static bool ReadBool(Config c, string key)
    {
        try
        {
            return c.GetBoolean(key);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ConfigurationException)
        {
            throw new PlaybackConfigurationException([$"playback.{key} must be on or off (was \"{c.GetString(key, string.Empty)}\")"]);
        }
    }

    private static double ReadDouble(Config c, string key)
    {
        try
        {
            return c.GetDouble(key);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException)
        {
            throw new PlaybackConfigurationException([$"playback.{key} must be a number (was \"{c.GetString(key, string.Empty)}\")"]);
        }
    }

    private static (TimeSpan, TimeSpan, TimeSpan, TimeSpan, TimeSpan, int) ReadDefaults()
    {
        var c = Reference.GetConfig("playback");
        return (c.GetTimeSpan("request-timeout"), c.GetTimeSpan("ask-timeout"), c.GetTimeSpan("idle-timeout"), c.GetTimeSpan("status-timeout"), c.GetTimeSpan("settle-retry-delay"), c.GetInt("max-connections"));
    }
}

/// <summary>The resilience defaults read from HOCON (kept apart from <see cref="ResilienceSettings"/>, whose initializers read them).</summary>
internal sealed record ResilienceDefaults(
    int MaxRetries,
    TimeSpan BaseDelay,
    TimeSpan MaxDelay,
    TimeSpan CommandDeadline,
    double BreakerFailureRatio,
    int BreakerMinimumThroughput,
    TimeSpan BreakerSamplingDuration,
    TimeSpan BreakerDuration,
    int RateLimit,
    TimeSpan RateLimitPeriod,
    int RateLimitQueue)
{
    public ResilienceSettings ToSettings() => new()
    {
        MaxRetries = MaxRetries,
        BaseDelay = BaseDelay,
        MaxDelay = MaxDelay,
        CommandDeadline = CommandDeadline,
        BreakerFailureRatio = BreakerFailureRatio,
        BreakerMinimumThroughput = BreakerMinimumThroughput,
        BreakerSamplingDuration = BreakerSamplingDuration,
        BreakerDuration = BreakerDuration,
        RateLimit = RateLimit,
        RateLimitPeriod = RateLimitPeriod,
        RateLimitQueue = RateLimitQueue,
    };
}
