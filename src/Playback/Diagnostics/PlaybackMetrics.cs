using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Playback;

/// <summary>
/// The instruments of one manager's <c>Playback</c> meter. The meter comes from <see cref="PlaybackSettings.MeterFactory"/>
/// when one is given (the host's, or a test's: listeners can then tell managers apart by <see cref="Meter.Scope"/>), else it
/// is the manager's own <c>new Meter("Playback")</c>, disposed with it. Tag values are bounded: command names, outcomes,
/// status codes, error kinds, breaker states and webhook results, never an id, a token or a key.
/// </summary>
internal sealed class PlaybackMetrics : IDisposable
{
    public const string CommandTag = "playback.command";
    public const string OutcomeTag = "playback.outcome";
    public const string StatusCodeTag = "http.response.status_code";
    public const string ErrorTypeTag = "error.type";
    public const string BreakerStateTag = "playback.breaker.state";
    public const string WebhookResultTag = "playback.webhook.result";
    public const string WebhookEventTag = "playback.webhook.event";

    /// <summary>Bucket boundaries (seconds) advised for the duration histograms: the OpenTelemetry HTTP semantic conventions', up to a minute.</summary>
    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60] };

    private readonly bool _ownsMeter;
    private readonly Counter<long> _commands;
    private readonly Histogram<double> _commandDuration;
    private readonly Counter<long> _apiRequests;
    private readonly Histogram<double> _apiDuration;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _rateLimited;
    private readonly Counter<long> _breaker;
    private readonly Counter<long> _webhooks;
    private readonly UpDownCounter<long> _playbacks;
    private readonly UpDownCounter<long> _calls;
    private readonly Counter<long> _watchdog;

    public PlaybackMetrics(IMeterFactory? factory)
    {
        var options = new MeterOptions(PlaybackDiagnostics.MeterName) { Version = PlaybackDiagnostics.Version };
        Meter = factory?.Create(options) ?? new Meter(options);
        _ownsMeter = factory is null;
        _commands = Meter.CreateCounter<long>("playback.commands", "{command}", "Commands by command and outcome.");
        _commandDuration = Meter.CreateHistogram<double>("playback.command.duration", "s", "From the caller's call to the command's outcome.", tags: null, advice: Seconds);
        _apiRequests = Meter.CreateCounter<long>("playback.api.requests", "{request}", "HTTP attempts to the Calling API, by command and status code (or error type).");
        _apiDuration = Meter.CreateHistogram<double>("playback.api.request.duration", "s", "Duration of one HTTP attempt to the Calling API.", tags: null, advice: Seconds);
        _retries = Meter.CreateCounter<long>("playback.api.retries", "{retry}", "Attempts that retried an earlier failed attempt of the same command.");
        _rateLimited = Meter.CreateHistogram<double>("playback.api.rate_limited", "s", "Time a request waited for a permit of the client-side rate limiter.", tags: null, advice: Seconds);
        _breaker = Meter.CreateCounter<long>("playback.breaker.transitions", "{transition}", "Circuit breaker transitions, by the state entered.");
        _webhooks = Meter.CreateCounter<long>("playback.webhooks", "{webhook}", "Status webhooks handled, by result and event type.");
        _playbacks = Meter.CreateUpDownCounter<long>("playback.playbacks.active", "{playback}", "Playbacks that have not ended (queued, starting, playing or paused).");
        _calls = Meter.CreateUpDownCounter<long>("playback.calls.active", "{call}", "Call actors alive.");
        _watchdog = Meter.CreateCounter<long>("playback.watchdog.fired", "{playback}", "Watchdog firings: playing playbacks without news, stopped and then marked failed within the status timeout.");
    }

    /// <summary>The meter the instruments belong to.</summary>
    public Meter Meter { get; }

    public void Command(string command, string outcome, double seconds)
    {
        var tags = new TagList { { CommandTag, command }, { OutcomeTag, outcome } };
        _commands.Add(1, tags);
        _commandDuration.Record(seconds, tags);
    }

    public void ApiAttempt(string command, int? statusCode, string? errorType, double seconds)
    {
        var tags = new TagList { { CommandTag, command } };
        if (statusCode is { } status)
        {
            tags.Add(StatusCodeTag, status);
        }
        else
        {
            tags.Add(ErrorTypeTag, errorType ?? "_OTHER");
        }

        _apiRequests.Add(1, tags);
        _apiDuration.Record(seconds, tags);
    }

    public void Retry(string command) => _retries.Add(1, new KeyValuePair<string, object?>(CommandTag, command));

    public void RateLimited(double seconds) => _rateLimited.Record(seconds);

    public void Breaker(string state) => _breaker.Add(1, new KeyValuePair<string, object?>(BreakerStateTag, state));

    public void Webhook(string result, string eventType) =>
        _webhooks.Add(1, new KeyValuePair<string, object?>(WebhookResultTag, result), new KeyValuePair<string, object?>(WebhookEventTag, eventType));

    public void Playbacks(long delta) => _playbacks.Add(delta);

    public void Calls(long delta) => _calls.Add(delta);

    public void WatchdogFired() => _watchdog.Add(1);

    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}
