using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Playback;

/// <summary>
/// One manager's telemetry: its metrics, its logger, and the measurement of commands and webhooks at the facade (one
/// activity each, the duration, the outcome). Shared by the manager, its call actors and its Calling API client.
/// </summary>
internal sealed class PlaybackTelemetry : IDisposable
{
    /// <summary>A wait for a rate-limit permit longer than this is logged (<see cref="LogEvents.RateLimitWait"/>).</summary>
    public static readonly TimeSpan RateLimitLogThreshold = TimeSpan.FromSeconds(1);

    public PlaybackTelemetry(ILogger logger, IMeterFactory? meterFactory)
    {
        Logger = logger;
        Metrics = new PlaybackMetrics(meterFactory);
    }

    public ILogger Logger { get; }

    /// <summary>
    /// The telemetry of a new manager: its logger from <paramref name="loggerFactory"/> (category <c>Playback</c>) or, without
    /// one, the ActorSystem's log; its meter from <paramref name="meterFactory"/> (<see cref="PlaybackSettings.MeterFactory"/>, else the host's). The manager's API client
    /// (<see cref="ResilientCallingApi"/>, and the <see cref="CallingApi"/> inside it) reports to it from now on.
    /// </summary>
    public static PlaybackTelemetry For(ICallingApi api, PlaybackCounters counters, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, Akka.Event.ILoggingAdapter akkaLog)
    {
        var telemetry = new PlaybackTelemetry(loggerFactory?.CreateLogger("Playback") ?? new AkkaAdapterLogger(akkaLog), meterFactory);
        counters.Metrics = telemetry.Metrics;
        if (api is ResilientCallingApi resilient)
        {
            resilient.Telemetry = telemetry;
            api = resilient.Inner;
        }

        if (api is CallingApi http)
        {
            http.Telemetry = telemetry;
        }

        return telemetry;
    }

    public PlaybackMetrics Metrics { get; }

    /// <summary>
    /// Runs a command from the caller's call to its outcome with its activity (<c>playback.play</c>, …, a child of the
    /// caller's <see cref="Activity.Current"/>; <see cref="PlaybackActivities.Command"/> while <paramref name="run"/> creates
    /// the command message, which carries it to the actor), then counts it, records its duration, tags and ends the
    /// activity, and logs a failure. The caller's execution context is left exactly as it was (the activity is never
    /// current in it: that would make every later await of the caller's flow dearer). What <paramref name="run"/> throws
    /// synchronously (validation) is still thrown synchronously, as without telemetry.
    /// </summary>
    public Task<T> CommandAsync<T>(string command, string callId, string? controlId, Func<Task<T>> run)
    {
        var started = Stopwatch.GetTimestamp();
        var activity = PlaybackActivities.StartCommand(command, callId, controlId);
        Task<T> task;
        try
        {
            PlaybackActivities.Command = activity;
            task = run();
        }
        catch (Exception e)
        {
            Failed(command, callId, controlId, started, activity, e);
            throw;
        }
        finally
        {
            PlaybackActivities.Command = null;
        }

        return EndAsync(task, command, callId, controlId, started, activity);
    }

    private async Task<T> EndAsync<T>(Task<T> task, string command, string callId, string? controlId, long started, Activity? activity)
    {
        T result;
        try
        {
            result = await task.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Failed(command, callId, controlId, started, activity, e);
            throw;
        }

        Ended(command, CommandOutcome.Success, started, activity, controlId is null && result is PlaybackHandle handle ? handle.ControlId : null, null);
        return result;
    }

    private void Failed(string command, string callId, string? controlId, long started, Activity? activity, Exception e)
    {
        var outcome = CommandOutcome.Of(e);
        var learnt = controlId is null ? (e as PlaybackException)?.ControlId : null;
        Ended(command, outcome, started, activity, learnt, e);
        controlId ??= learnt;
        var level = outcome is CommandOutcome.ApiError or CommandOutcome.Timeout ? LogLevel.Warning : LogLevel.Information;
        if (Logger.IsEnabled(level))
        {
            LogEvents.CommandFailed(Logger, level, command, callId, controlId, outcome, e.Message);
        }
    }

    /// <summary>Starts the measurement of one webhook (its activity is a child of the HTTP request's).</summary>
    public WebhookScope StartWebhook() => new(PlaybackActivities.StartWebhook());

    /// <summary>Counts a handled webhook, tags and ends its activity, and logs a rejected, ignored or dropped one.</summary>
    public void EndWebhook(WebhookScope scope, WebhookResult result)
    {
        var status = result.Status switch
        {
            WebhookStatus.Accepted => "accepted",
            WebhookStatus.Rejected => "rejected",
            _ => "ignored",
        };
        Metrics.Webhook(status, scope.Event);
        PlaybackActivities.EndWebhook(scope, status, result);
        switch (result.Status)
        {
            case WebhookStatus.Rejected:
                LogEvents.WebhookRejected(Logger, result.Rejection, result.Reason);
                break;
            case WebhookStatus.Ignored:
                LogEvents.WebhookIgnored(Logger, scope.Event, scope.CallId, result.Reason);
                break;
            case WebhookStatus.Accepted when result.Reason is not null:
                LogEvents.WebhookDropped(Logger, scope.Event, scope.CallId, result.Reason);
                break;
        }
    }

    public void WatchdogFired(string controlId, string callId, TimeSpan statusTimeout)
    {
        Metrics.WatchdogFired();
        LogEvents.WatchdogFired(Logger, controlId, callId, statusTimeout);
    }

    /// <summary>One HTTP attempt: its status code, or the kind of transport failure when no answer came.</summary>
    public void ApiAttempt(string wireCommand, long startedTimestamp, int? statusCode, Exception? error) =>
        Metrics.ApiAttempt(CommandOutcome.CommandTag(wireCommand), statusCode, statusCode is null ? ErrorType(error) : null, Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);

    /// <summary>Counts a failed HTTP attempt (with its status when the server answered); false, so that it fits an exception filter that catches nothing.</summary>
    public bool AttemptFailed(string wireCommand, long startedTimestamp, Exception error)
    {
        ApiAttempt(wireCommand, startedTimestamp, (error as Flurl.Http.FlurlHttpException)?.StatusCode, error);
        return false;
    }

    /// <summary>Logs a retry the pipeline scheduled: the attempt about to be made (2 for the first retry) and the delay before it.</summary>
    public void RetryScheduled(int attempt, TimeSpan delay, Exception? failure)
    {
        var error = failure as CallingApiException;
        LogEvents.RetryScheduled(Logger, error?.Command ?? "a command", error?.CallId, attempt, delay, Describe(failure));
    }

    public void BreakerOpened(TimeSpan breakDuration, Exception? failure)
    {
        Metrics.Breaker("open");
        LogEvents.BreakerOpened(Logger, breakDuration, Describe(failure));
    }

    public ValueTask BreakerClosed()
    {
        Metrics.Breaker("closed");
        LogEvents.BreakerClosed(Logger);
        return default;
    }

    public ValueTask BreakerHalfOpened()
    {
        Metrics.Breaker("half_open");
        LogEvents.BreakerHalfOpened(Logger);
        return default;
    }

    public void RateLimitWaited(TimeSpan wait)
    {
        Metrics.RateLimited(wait.TotalSeconds);
        if (wait > RateLimitLogThreshold)
        {
            LogEvents.RateLimitWait(Logger, wait, RateLimitLogThreshold);
        }
    }

    public void Dispose() => Metrics.Dispose();

    private void Ended(string command, string outcome, long started, Activity? activity, string? controlId, Exception? error)
    {
        Metrics.Command(command, outcome, Stopwatch.GetElapsedTime(started).TotalSeconds);
        if (activity is not null)
        {
            PlaybackActivities.EndCommand(activity, outcome, controlId, error);
        }
    }

    /// <summary>The bounded <c>error.type</c> of an attempt that got no answer: <c>timeout</c>, <c>canceled</c>, the <see cref="HttpRequestError"/> in snake case, or the exception's type name.</summary>
    internal static string ErrorType(Exception? error) => error switch
    {
        Flurl.Http.FlurlHttpTimeoutException => "timeout",
        Flurl.Http.FlurlHttpException { InnerException: HttpRequestException inner } => SnakeCase(inner.HttpRequestError.ToString()),
        Flurl.Http.FlurlHttpException { InnerException: OperationCanceledException } or OperationCanceledException => "canceled",
        null => "_OTHER",
        _ => error.GetType().FullName ?? "_OTHER",
    };

    /// <summary>A failure in a few bounded words: the status, or the kind of failure (never the server's text, which could echo a request).</summary>
    private static string Describe(Exception? failure) => failure switch
    {
        CallingApiException { StatusCode: { } status } => "status " + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        CallingApiException => "no response",
        null => "a failed outcome",
        _ => failure.GetType().Name,
    };

    private static string SnakeCase(string name) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}

/// <summary>The measurement of one webhook: its activity, and what the intake learnt of it (event type, call) for the tags.</summary>
internal sealed class WebhookScope(Activity? activity) : IDisposable
{
    public Activity? Activity { get; } = activity;

    /// <summary>The <c>playback.webhook.event</c> tag: <c>calling.call.play</c>, <c>calling.call.state</c>, or <c>unknown</c> when the webhook was refused before it was parsed.</summary>
    public string Event { get; set; } = "unknown";

    public string? CallId { get; set; }

    public string? ControlId { get; set; }

    public void Dispose() => Activity?.Dispose();

    /// <summary>Notes what the parsed webhook is about and hands its activity to the call's actor (a <c>calling.call.play</c> is linked to its play's).</summary>
    public object Attach(object message)
    {
        switch (message)
        {
            case PlayStatusReceived play:
                Event = "calling.call.play";
                CallId = play.CallId;
                ControlId = play.ControlId;
                return Activity is null ? play : play with { Trace = Activity };
            case CallStateReceived state:
                Event = "calling.call.state";
                CallId = state.CallId;
                return state;
            default:
                return message;
        }
    }
}
