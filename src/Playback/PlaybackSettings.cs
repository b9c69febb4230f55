using System.Net;
using Akka.Configuration;

namespace Playback;

/// <summary>How webhook signatures are checked.</summary>
public enum WebhookSignaturePolicy
{
    /// <summary>Every webhook must carry a valid signature; others are rejected.</summary>
    Required,

    /// <summary>A signature that is present must be valid; unsigned webhooks are accepted.</summary>
    WhenPresent,

    /// <summary>Signatures are not checked at all: every webhook is trusted, unsigned or wrongly signed. Only for endpoints nobody else can reach.</summary>
    Off,
}

/// <summary>Settings of a <see cref="PlaybackManager"/>. Defaults come from the embedded <c>hocon/playback.conf</c>; <see cref="ToString"/> never shows secrets.</summary>
public sealed record PlaybackSettings
{
    /// <summary>SignalWire project id (HTTP Basic user).</summary>
    public string? ProjectId { get; init; }

    /// <summary>API token (HTTP Basic password). Never logged or shown.</summary>
    public string? ApiToken { get; init; }

    /// <summary>Space name (<c>example</c>) or host (<c>example.signalwire.com</c>); a value without a dot gets <c>.signalwire.com</c>.</summary>
    public string? Space { get; init; }

    /// <summary>Explicit API base URL, overriding <see cref="Space"/>; <c>http</c> only for loopback hosts.</summary>
    public Uri? BaseUrl { get; init; }

    /// <summary>Webhook signing key. Never logged or shown.</summary>
    public string? SigningKey { get; init; }

    /// <summary>The <c>status_url</c> of plays that do not set <see cref="PlayOptions.StatusUrl"/>. Without either, a play is refused unless <see cref="AllowUntrackedPlays"/> is set.</summary>
    public Uri? DefaultStatusUrl { get; init; }

    /// <summary>
    /// Whether a play without a status URL (neither <see cref="PlayOptions.StatusUrl"/> nor <see cref="DefaultStatusUrl"/>) is
    /// sent anyway, untracked (<see cref="PlaybackHandle.IsTracked"/> false): no webhooks report its end, so it stays Playing
    /// until it is stopped or the call ends. Off by default: such a play is refused with an <see cref="ArgumentException"/>.
    /// </summary>
    /// <value>The default is false (<c>playback.allow-untracked-plays</c>).</value>
    public bool AllowUntrackedPlays { get; init; }

    /// <summary>
    /// Webhook signature policy; null means <see cref="WebhookSignaturePolicy.Required"/> when <see cref="SigningKey"/> is set,
    /// otherwise <see cref="WebhookSignaturePolicy.Off"/>: then <see cref="PlaybackManager.HandleWebhookAsync"/> checks no
    /// signature and trusts every webhook it is given. (Playback.Hosting's <c>MapPlaybackWebhooks</c> refuses to start in that
    /// case unless <see cref="WebhookSignaturePolicy.Off"/> is set explicitly.)
    /// </summary>
    public WebhookSignaturePolicy? SignaturePolicy { get; init; }

    /// <summary>Timeout of one HTTP request to the Calling API.</summary>
    /// <value>The default is 30 seconds (<c>playback.request-timeout</c>).</value>
    public TimeSpan RequestTimeout { get; init; } = PlaybackConfig.Defaults.RequestTimeout;

    /// <summary>How long a caller waits for a command's outcome, including the time queued behind the call's earlier commands.</summary>
    /// <value>The default is 60 seconds (<c>playback.ask-timeout</c>).</value>
    public TimeSpan AskTimeout { get; init; } = PlaybackConfig.Defaults.AskTimeout;

    /// <summary>A call actor with no active or queued playback stops after this long.</summary>
    /// <value>The default is 120 seconds (<c>playback.idle-timeout</c>).</value>
    public TimeSpan IdleTimeout { get; init; } = PlaybackConfig.Defaults.IdleTimeout;

    /// <summary>Connections the Calling API client keeps open at most; further requests wait for one, in order.</summary>
    /// <value>The default is 128 (<c>playback.max-connections</c>), chosen from the benchmarks in the README.</value>
    public int MaxConnections { get; init; } = PlaybackConfig.Defaults.MaxConnections;

    /// <summary>Watchdog: a playing playback that expects webhooks (it has a status URL and a finite length) and has had no news for this long is stopped, then marked Failed ("no status received: Playback stopped it"); keep it above your longest finite playback. <see cref="TimeSpan.Zero"/> turns it off.</summary>
    /// <value>The default is 10 minutes (<c>playback.status-timeout</c>).</value>
    public TimeSpan StatusTimeout { get; init; } = PlaybackConfig.Defaults.StatusTimeout;

    /// <summary>How long after a failed settling stop Playback sends the stop of an unconfirmed play again (a play whose outcome was unknown and could not be stopped: see the README's failure handling).</summary>
    /// <value>The default is 5 seconds (<c>playback.settle-retry-delay</c>).</value>
    public TimeSpan SettleRetryDelay { get; init; } = PlaybackConfig.Defaults.SettleRetryDelay;

    /// <summary>Retries, deadline, circuit breaker and rate limit of the Calling API client (<c>playback.resilience</c>).</summary>
    public ResilienceSettings Resilience { get; init; } = new();

    /// <summary>Where call state is kept across restarts (README, "Surviving restarts"); null (the default) keeps it in memory only.</summary>
    public PlaybackPersistenceSettings? Persistence { get; init; }

    /// <summary>Where each value was read from, for errors that name the key the user set (metadata: not part of equality).</summary>
    internal SettingOrigins Origins { get; init; } = SettingOrigins.None;

    /// <summary>Creates the manager's <c>Playback</c> meter (e.g. the host's, from DI); null: the manager creates its own and disposes it with itself. Not read from configuration.</summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; init; }

    /// <summary>The policy in force, after applying the default rule.</summary>
    public WebhookSignaturePolicy EffectiveSignaturePolicy =>
        SignaturePolicy ?? (string.IsNullOrEmpty(SigningKey) ? WebhookSignaturePolicy.Off : WebhookSignaturePolicy.Required);

    /// <summary>Reads the <c>playback</c> block of a HOCON config, over the embedded defaults.</summary>
    /// <param name="config">A config holding a <c>playback { … }</c> block (for example your ActorSystem's config).</param>
    /// <returns>The settings.</returns>
    /// <exception cref="PlaybackConfigurationException">A value cannot be read (bad duration, URL or policy name).</exception>
    public static PlaybackSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var settings = PlaybackConfig.Read(config.WithFallback(PlaybackConfig.Reference));
        return settings with { Origins = settings.Origins.Read(SettingSource.Hocon, settings.Values()) };
    }

    /// <summary>The embedded defaults overridden by <c>SIGNALWIRE_PROJECT_ID</c>, <c>SIGNALWIRE_API_TOKEN</c>, <c>SIGNALWIRE_SPACE</c>, <c>SIGNALWIRE_SIGNING_KEY</c>, <c>PLAYBACK_BASE_URL</c> and <c>PLAYBACK_STATUS_URL</c>.</summary>
    /// <returns>The settings.</returns>
    /// <exception cref="PlaybackConfigurationException"><c>PLAYBACK_BASE_URL</c> or <c>PLAYBACK_STATUS_URL</c> is not an absolute URL.</exception>
    public static PlaybackSettings FromEnvironment() => PlaybackConfig.Read(PlaybackConfig.Reference).WithEnvironment();

    /// <summary>These settings with every non-empty <c>SIGNALWIRE_*</c>, <c>PLAYBACK_BASE_URL</c> and <c>PLAYBACK_STATUS_URL</c> (<see cref="DefaultStatusUrl"/>) environment variable applied over them.</summary>
    /// <returns>The settings.</returns>
    /// <exception cref="PlaybackConfigurationException"><c>PLAYBACK_BASE_URL</c> or <c>PLAYBACK_STATUS_URL</c> is not an absolute URL.</exception>
    public PlaybackSettings WithEnvironment()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        var baseUrl = Env("PLAYBACK_BASE_URL");
        var statusUrl = Env("PLAYBACK_STATUS_URL");
        var read = this with
        {
            ProjectId = Env("SIGNALWIRE_PROJECT_ID") ?? ProjectId,
            ApiToken = Env("SIGNALWIRE_API_TOKEN") ?? ApiToken,
            Space = Env("SIGNALWIRE_SPACE") ?? Space,
            SigningKey = Env("SIGNALWIRE_SIGNING_KEY") ?? SigningKey,
            BaseUrl = baseUrl is null ? BaseUrl : PlaybackConfig.ParseUrl(baseUrl, "PLAYBACK_BASE_URL"),
            DefaultStatusUrl = statusUrl is null ? DefaultStatusUrl : PlaybackConfig.ParseHttpUrl(statusUrl, "PLAYBACK_STATUS_URL"),
        };
        var fromEnvironment = read.Values().Where(v => SettingOrigins.KeyOf(SettingSource.Environment, v.Setting) is { } name && Env(name) is not null);
        return read with { Origins = Origins.Read(SettingSource.Environment, fromEnvironment) };
    }

    /// <summary>Checks that the settings can reach the API: credentials, space or base URL, URLs, timeouts and signature policy.</summary>
    /// <exception cref="PlaybackConfigurationException">One error listing everything that is missing or wrong.</exception>
    public void Validate() => Validate(requireCredentials: true);

    /// <summary>The API base URL: <see cref="BaseUrl"/>, or <c>https://{space}</c>.</summary>
    /// <returns>The base URL, without a trailing path.</returns>
    /// <exception cref="PlaybackConfigurationException">Neither is set, or the value is not allowed.</exception>
    public Uri ResolveBaseUrl()
    {
        var problems = new List<string>();
        var url = ResolveBaseUrl(problems);
        return url ?? throw new PlaybackConfigurationException(problems);
    }

    /// <summary>The settings with secrets masked.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString() =>
        $"PlaybackSettings {{ ProjectId = {ProjectId}, ApiToken = {Mask(ApiToken)}, Space = {Space}, BaseUrl = {BaseUrl}, " +
        $"SigningKey = {Mask(SigningKey)}, DefaultStatusUrl = {DefaultStatusUrl}, AllowUntrackedPlays = {AllowUntrackedPlays}, SignaturePolicy = {EffectiveSignaturePolicy}, " +
        $"RequestTimeout = {RequestTimeout}, AskTimeout = {AskTimeout}, IdleTimeout = {IdleTimeout}, MaxConnections = {MaxConnections}, StatusTimeout = {StatusTimeout}, SettleRetryDelay = {SettleRetryDelay}, Resilience = {Resilience}, Persistence = {Persistence?.ToString() ?? "off"} }}";

    /// <summary>Every setting's name and current value (nested settings as one value), for <see cref="Origins"/>.</summary>
    internal IEnumerable<(string Setting, object? Value)> Values() =>
    [
        (nameof(ProjectId), ProjectId), (nameof(ApiToken), ApiToken), (nameof(Space), Space), (nameof(BaseUrl), BaseUrl),
        (nameof(SigningKey), SigningKey), (nameof(DefaultStatusUrl), DefaultStatusUrl), (nameof(AllowUntrackedPlays), AllowUntrackedPlays),
        (nameof(SignaturePolicy), SignaturePolicy), (nameof(RequestTimeout), RequestTimeout), (nameof(AskTimeout), AskTimeout),
        (nameof(IdleTimeout), IdleTimeout), (nameof(MaxConnections), MaxConnections), (nameof(StatusTimeout), StatusTimeout),
        (nameof(SettleRetryDelay), SettleRetryDelay), (nameof(Resilience), Resilience), (nameof(Persistence), Persistence),
    ];

    internal void Validate(bool requireCredentials)
    {
        // Every problem names the key the value came from (Playback:ProjectId, SIGNALWIRE_PROJECT_ID, playback.project-id, or
        // the property when it was set in code); a missing value names the keys of the sources these settings were read from.
        var problems = new List<string>();
        if (requireCredentials)
        {
            if (string.IsNullOrWhiteSpace(ProjectId))
            {
                problems.Add($"{Origins.Missing(nameof(ProjectId))} is missing: the SignalWire project id");
            }

            if (string.IsNullOrWhiteSpace(ApiToken))
            {
                problems.Add($"{Origins.Missing(nameof(ApiToken))} is missing: the SignalWire API token");
            }

            ResolveBaseUrl(problems);
        }

        if (DefaultStatusUrl is not null && (!DefaultStatusUrl.IsAbsoluteUri || (DefaultStatusUrl.Scheme != Uri.UriSchemeHttp && DefaultStatusUrl.Scheme != Uri.UriSchemeHttps)))
        {
            problems.Add($"{Key(nameof(DefaultStatusUrl), DefaultStatusUrl)} must be an absolute http or https URL");
        }

        CheckPositive(RequestTimeout, Key(nameof(RequestTimeout), RequestTimeout), problems);
        CheckPositive(AskTimeout, Key(nameof(AskTimeout), AskTimeout), problems);
        CheckPositive(IdleTimeout, Key(nameof(IdleTimeout), IdleTimeout), problems);
        if (MaxConnections is < 1 or > 65535)
        {
            problems.Add($"{Key(nameof(MaxConnections), MaxConnections)} must be 1 to 65535");
        }

        if (Persistence is { } persistence)
        {
            problems.AddRange(Origins.Problems(nameof(Persistence), persistence, persistence.Validate));
        }

        if (SettleRetryDelay <= TimeSpan.Zero)
        {
            problems.Add($"{Key(nameof(SettleRetryDelay), SettleRetryDelay)} must be positive");
        }

        if (StatusTimeout < TimeSpan.Zero)
        {
            problems.Add($"{Key(nameof(StatusTimeout), StatusTimeout)} must be zero (off) or positive");
        }

        if (Resilience is null)
        {
            problems.Add($"{Origins.Missing(nameof(Resilience))} must be set");
        }
        else
        {
            problems.AddRange(Origins.Problems(nameof(Resilience), Resilience, Resilience.Validate));
        }

        if (SignaturePolicy is WebhookSignaturePolicy.Required or WebhookSignaturePolicy.WhenPresent && string.IsNullOrEmpty(SigningKey))
        {
            problems.Add($"{Origins.Missing(nameof(SigningKey))} is missing but {Key(nameof(SignaturePolicy), SignaturePolicy)} is {SignaturePolicy}");
        }

        if (SignaturePolicy is { } p && !Enum.IsDefined(p))
        {
            problems.Add($"{Key(nameof(SignaturePolicy), SignaturePolicy)} must be Required, WhenPresent or Off");
        }

        if (problems.Count > 0)
        {
            throw new PlaybackConfigurationException(problems);
        }
    }

    private Uri? ResolveBaseUrl(List<string> problems)
    {
        if (BaseUrl is not null)
        {
            if (!BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttps && BaseUrl.Scheme != Uri.UriSchemeHttp))
            {
                problems.Add($"{Key(nameof(BaseUrl), BaseUrl)} must be an absolute http or https URL");
                return null;
            }

            if (BaseUrl.Scheme == Uri.UriSchemeHttp && !IsLoopback(BaseUrl))
            {
                problems.Add($"{Key(nameof(BaseUrl), BaseUrl)} may use http:// only for loopback hosts (localhost, 127.0.0.0/8, ::1); use https://");
                return null;
            }

            return new Uri(BaseUrl.GetLeftPart(UriPartial.Authority));
        }

        if (string.IsNullOrWhiteSpace(Space))
        {
            problems.Add($"{Origins.Missing(nameof(Space))} is missing, or {Origins.Missing(nameof(BaseUrl))}: the SignalWire space (or the API's base URL)");
            return null;
        }

        var host = Space.Trim();
        if (host.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            host = host["https://".Length..];
        }

        host = host.TrimEnd('/');
        if (!host.Contains('.', StringComparison.Ordinal))
        {
            host += ".signalwire.com";
        }

        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            problems.Add($"{Key(nameof(Space), Space)} \"{Space}\" is not a space name or host name");
            return null;
        }

        return new Uri("https://" + host.ToLowerInvariant());
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private string Key(string setting, object? value) => Origins.Key(setting, value);

    private static void CheckPositive(TimeSpan value, string name, List<string> problems)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add($"{name} must be greater than zero");
        }
    }

    private static string Mask(string? secret) => string.IsNullOrEmpty(secret) ? "(not set)" : "(set)";
}
