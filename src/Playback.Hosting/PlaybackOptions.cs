namespace Playback.Hosting;

/// <summary>
/// Playback's settings for the Options pattern, bound from configuration (<c>Playback</c> section) or code. Values not set
/// here fall back to the <c>SIGNALWIRE_*</c> environment variables (see <see cref="UseEnvironmentFallback"/>), then to the
/// defaults of <c>hocon/playback.conf</c>.
/// </summary>
public sealed class PlaybackOptions
{
    /// <summary>The default limit of a webhook body.</summary>
    public const long DefaultMaxWebhookBodyBytes = 64 * 1024;

    /// <summary>SignalWire project id.</summary>
    public string? ProjectId { get; set; }

    /// <summary>API token. Never logged.</summary>
    public string? ApiToken { get; set; }

    /// <summary>Space name or host.</summary>
    public string? Space { get; set; }

    /// <summary>Explicit API base URL (e.g. the emulator's); http only for loopback hosts.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Webhook signing key. Never logged. With <c>MapPlaybackWebhooks</c> mapped, required unless <see cref="SignaturePolicy"/> is explicitly <see cref="WebhookSignaturePolicy.Off"/>.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The <c>status_url</c> of plays that set none. When null and <see cref="PublicBaseUrl"/> is set, the URL of the endpoint mapped with <c>MapPlaybackWebhooks</c>; otherwise <c>PLAYBACK_STATUS_URL</c> (with <see cref="UseEnvironmentFallback"/>). A play with no status URL at all is refused unless <see cref="AllowUntrackedPlays"/> is set.</summary>
    public string? DefaultStatusUrl { get; set; }

    /// <summary>Whether plays without any status URL are sent anyway, untracked (see <see cref="PlaybackSettings.AllowUntrackedPlays"/>).</summary>
    /// <value>The default is false.</value>
    public bool AllowUntrackedPlays { get; set; }

    /// <summary>The public base URL of this service as SignalWire reaches it (e.g. <c>https://calls.example.com</c>, or <c>https://example.com/calls</c> behind a path base: the app's root, path base included). Webhook signatures are checked against it + the endpoint's path + query, never against forwarded headers; without it, against the request's own scheme and Host (a warning at start says so).</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// Webhook signature policy; null (not chosen) = <see cref="WebhookSignaturePolicy.Required"/> when a signing key is set.
    /// With <c>MapPlaybackWebhooks</c> mapped and no signing key, the host does not start unless this is explicitly
    /// <see cref="WebhookSignaturePolicy.Off"/> (then every webhook is trusted, signed or not, and a warning is logged at start).
    /// </summary>
    public WebhookSignaturePolicy? SignaturePolicy { get; set; }

    /// <summary>Timeout of one HTTP request (default 30 s).</summary>
    public TimeSpan? RequestTimeout { get; set; }

    /// <summary>How long a caller waits for a command's outcome (default 60 s).</summary>
    public TimeSpan? AskTimeout { get; set; }

    /// <summary>Idle time after which a call actor stops (default 120 s).</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>Connections the Calling API client keeps open at most (default 128).</summary>
    public int? MaxConnections { get; set; }

    /// <summary>The lost-webhook watchdog (default 10 min; zero = off).</summary>
    public TimeSpan? StatusTimeout { get; set; }

    /// <summary>How long after a failed settling stop the stop of an unconfirmed play is sent again (default 5 s).</summary>
    public TimeSpan? SettleRetryDelay { get; set; }

    /// <summary>Retries, deadline, circuit breaker and rate limit (section <c>Playback:Resilience</c>, e.g. <c>MaxRetries</c>, <c>CommandDeadline</c>, <c>RateLimit</c>); unset values keep their defaults.</summary>
    public ResilienceSettings? Resilience { get; set; }

    /// <summary>Where call state is kept across restarts (section <c>Playback:Persistence</c>: <c>Provider</c> = sqlite | postgresql, <c>ConnectionString</c>, optional <c>SnapshotEvery</c>, <c>AutoInitialize</c>, <c>RecoveryParallelism</c>); null or no provider = off.</summary>
    public PlaybackPersistenceOptions? Persistence { get; set; }

    /// <summary>Largest webhook body accepted; larger ones get 413.</summary>
    /// <value>The default is 64 KiB.</value>
    public long MaxWebhookBodyBytes { get; set; } = DefaultMaxWebhookBodyBytes;

    /// <summary>Whether unset credentials fall back to <c>SIGNALWIRE_PROJECT_ID</c>, <c>SIGNALWIRE_API_TOKEN</c>, <c>SIGNALWIRE_SPACE</c>, <c>SIGNALWIRE_SIGNING_KEY</c> and <c>PLAYBACK_BASE_URL</c>.</summary>
    /// <value>The default is true.</value>
    public bool UseEnvironmentFallback { get; set; } = true;

    /// <summary>The options with secrets masked.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString() =>
        $"PlaybackOptions {{ ProjectId = {ProjectId}, ApiToken = {(string.IsNullOrEmpty(ApiToken) ? "(not set)" : "(set)")}, Space = {Space}, BaseUrl = {BaseUrl}, " +
        $"SigningKey = {(string.IsNullOrEmpty(SigningKey) ? "(not set)" : "(set)")}, DefaultStatusUrl = {DefaultStatusUrl}, PublicBaseUrl = {PublicBaseUrl}, AllowUntrackedPlays = {AllowUntrackedPlays}, " +
        $"Persistence = {Persistence?.ToString() ?? "(not set)"} }}";

    /// <summary>Builds the core settings: these options over the environment fallback over the defaults.</summary>
    /// <param name="webhookPath">The path mapped with <c>MapPlaybackWebhooks</c>, if any.</param>
    /// <returns>The settings (not yet validated).</returns>
    /// <exception cref="PlaybackConfigurationException">A URL cannot be parsed.</exception>
    public PlaybackSettings ToSettings(string? webhookPath = null)
    {
        var baseline = UseEnvironmentFallback ? PlaybackSettings.FromEnvironment() : new PlaybackSettings();
        var problems = new List<string>();
        var settings = baseline with
        {
            ProjectId = Pick(ProjectId, baseline.ProjectId),
            ApiToken = Pick(ApiToken, baseline.ApiToken),
            Space = Pick(Space, baseline.Space),
            SigningKey = Pick(SigningKey, baseline.SigningKey),
            BaseUrl = Url(BaseUrl, "Playback:BaseUrl", problems) ?? baseline.BaseUrl,
            DefaultStatusUrl = Url(DefaultStatusUrl, "Playback:DefaultStatusUrl", problems) ?? StatusUrlFromEndpoint(webhookPath, problems) ?? baseline.DefaultStatusUrl,
            AllowUntrackedPlays = AllowUntrackedPlays || baseline.AllowUntrackedPlays,
            SignaturePolicy = SignaturePolicy ?? baseline.SignaturePolicy,
            RequestTimeout = RequestTimeout ?? baseline.RequestTimeout,
            AskTimeout = AskTimeout ?? baseline.AskTimeout,
            IdleTimeout = IdleTimeout ?? baseline.IdleTimeout,
            MaxConnections = MaxConnections ?? baseline.MaxConnections,
            StatusTimeout = StatusTimeout ?? baseline.StatusTimeout,
            SettleRetryDelay = SettleRetryDelay ?? baseline.SettleRetryDelay,
            Resilience = Resilience ?? baseline.Resilience,
            Persistence = Persistence?.ToSettings(problems) ?? baseline.Persistence,
        };
        if (problems.Count > 0)
        {
            throw new PlaybackConfigurationException(problems);
        }

        // Errors about these values name the option (Playback:ProjectId); values from the fallback keep their variable's name.
        var fromOptions = new HashSet<string>(
            new (string Setting, bool IsSet)[]
            {
                (nameof(ProjectId), !string.IsNullOrWhiteSpace(ProjectId)), (nameof(ApiToken), !string.IsNullOrWhiteSpace(ApiToken)),
                (nameof(Space), !string.IsNullOrWhiteSpace(Space)), (nameof(SigningKey), !string.IsNullOrWhiteSpace(SigningKey)),
                (nameof(BaseUrl), !string.IsNullOrWhiteSpace(BaseUrl)), (nameof(DefaultStatusUrl), !string.IsNullOrWhiteSpace(DefaultStatusUrl)),
                (nameof(AllowUntrackedPlays), AllowUntrackedPlays), (nameof(SignaturePolicy), SignaturePolicy is not null),
                (nameof(RequestTimeout), RequestTimeout is not null), (nameof(AskTimeout), AskTimeout is not null),
                (nameof(IdleTimeout), IdleTimeout is not null), (nameof(MaxConnections), MaxConnections is not null),
                (nameof(StatusTimeout), StatusTimeout is not null), (nameof(SettleRetryDelay), SettleRetryDelay is not null),
                (nameof(Resilience), Resilience is not null), (nameof(Persistence), Persistence?.IsOn == true),
            }.Where(o => o.IsSet).Select(o => o.Setting));
        return settings with { Origins = settings.Origins.Read(SettingSource.Hosting, settings.Values().Where(v => fromOptions.Contains(v.Setting))) };
    }

    internal Uri? PublicBase(List<string> problems) => Url(PublicBaseUrl, "Playback:PublicBaseUrl", problems);

    private Uri? StatusUrlFromEndpoint(string? webhookPath, List<string> problems) =>
        webhookPath is not null && PublicBase(problems) is { } publicBase
            ? new Uri(publicBase.AbsoluteUri.TrimEnd('/') + "/" + webhookPath.TrimStart('/'))
            : null;

    private static string? Pick(string? value, string? fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();

    private static Uri? Url(string? value, string key, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        problems.Add($"{key} must be an absolute http or https URL (was \"{value}\")");
        return null;
    }
}
