using Akka.Configuration;

namespace Playback;

/// <summary>The embedded reference configuration and its reader.</summary>
internal static class PlaybackConfig
{
    public static readonly Config Reference = LoadReference();

    public static readonly (TimeSpan RequestTimeout, TimeSpan AskTimeout, TimeSpan IdleTimeout) Defaults = ReadDefaults();

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
                DefaultStatusUrl = NullIfEmpty(c.GetString("default-status-url", string.Empty)) is { } s ? ParseUrl(s, "playback.default-status-url") : null,
                SignaturePolicy = ParsePolicy(c.GetString("webhook-signature-policy", "auto")),
                RequestTimeout = ReadDuration(c, "request-timeout"),
                AskTimeout = ReadDuration(c, "ask-timeout"),
                IdleTimeout = ReadDuration(c, "idle-timeout"),
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

    public static Uri ParseUrl(string value, string key) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
            ? uri
            : throw new PlaybackConfigurationException([$"{key} must be an absolute URL (was \"{value}\")"]);

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

    private static (TimeSpan, TimeSpan, TimeSpan) ReadDefaults()
    {
        var c = Reference.GetConfig("playback");
        return (c.GetTimeSpan("request-timeout"), c.GetTimeSpan("ask-timeout"), c.GetTimeSpan("idle-timeout"));
    }
}
