using Microsoft.Extensions.Logging;

namespace Playback;

/// <summary>
/// Playback's log events: message templates with stable <see cref="EventId"/>s (listed in the README's Observability
/// section). Values are ids, names, counts and durations: never a token, a signing key or a signature.
/// </summary>
internal static partial class LogEvents
{
    // 1xxx: commands and calls.
    [LoggerMessage(EventId = 1001, EventName = "CommandFailed", Message = "Command {Command} for call {CallId} (control id {ControlId}) ended {Outcome}: {Error}")]
    public static partial void CommandFailed(ILogger logger, LogLevel level, string command, string callId, string? controlId, string outcome, string error);

    [LoggerMessage(EventId = 1002, EventName = "CallGone", Level = LogLevel.Information, Message = "Call {CallId} is gone ({Reason}); ending its playbacks")]
    public static partial void CallGone(ILogger logger, string callId, string? reason);

    [LoggerMessage(EventId = 1003, EventName = "WatchdogFired", Level = LogLevel.Warning, Message = "Playback {ControlId} on call {CallId} had no status for {StatusTimeout}; stopping it, then marking it failed")]
    public static partial void WatchdogFired(ILogger logger, string controlId, string callId, TimeSpan statusTimeout);

    [LoggerMessage(EventId = 1004, EventName = "SubscriberFailed", Level = LogLevel.Warning, Message = "A playback subscriber threw {ErrorType} and was unsubscribed: {Error}")]
    public static partial void SubscriberFailed(ILogger logger, string errorType, string error);

    [LoggerMessage(EventId = 1005, EventName = "ActorsDidNotStop", Level = LogLevel.Warning, Message = "Playback's call actors did not stop within {Timeout}")]
    public static partial void ActorsDidNotStop(ILogger logger, TimeSpan timeout);

    // 2xxx: the Calling API client (retries, circuit breaker, rate limit).
    [LoggerMessage(EventId = 2001, EventName = "RetryScheduled", Level = LogLevel.Warning, Message = "Retrying {Command} for call {CallId}: attempt {Attempt} in {Delay} after {Failure}")]
    public static partial void RetryScheduled(ILogger logger, string command, string? callId, int attempt, TimeSpan delay, string failure);

    [LoggerMessage(EventId = 2002, EventName = "BreakerOpened", Level = LogLevel.Warning, Message = "Circuit breaker opened for {BreakDuration} after {Failure}: commands fail fast until it closes")]
    public static partial void BreakerOpened(ILogger logger, TimeSpan breakDuration, string failure);

    [LoggerMessage(EventId = 2003, EventName = "BreakerClosed", Level = LogLevel.Information, Message = "Circuit breaker closed: the Calling API answers again")]
    public static partial void BreakerClosed(ILogger logger);

    [LoggerMessage(EventId = 2004, EventName = "BreakerHalfOpened", Level = LogLevel.Information, Message = "Circuit breaker half-open: the next command tests the Calling API")]
    public static partial void BreakerHalfOpened(ILogger logger);

    [LoggerMessage(EventId = 2005, EventName = "RateLimitWait", Level = LogLevel.Warning, Message = "A request waited {Wait} for a rate-limit permit (over {Threshold})")]
    public static partial void RateLimitWait(ILogger logger, TimeSpan wait, TimeSpan threshold);

    // 3xxx: webhooks.
    [LoggerMessage(EventId = 3001, EventName = "WebhookRejected", Level = LogLevel.Warning, Message = "Webhook rejected ({Rejection}): {Reason}")]
    public static partial void WebhookRejected(ILogger logger, WebhookRejection? rejection, string? reason);

    [LoggerMessage(EventId = 3002, EventName = "WebhookDropped", Level = LogLevel.Debug, Message = "Webhook {Event} for call {CallId} dropped (stale, duplicate or after the end): {Reason}")]
    public static partial void WebhookDropped(ILogger logger, string @event, string? callId, string? reason);

    [LoggerMessage(EventId = 3003, EventName = "WebhookIgnored", Level = LogLevel.Debug, Message = "Webhook {Event} for call {CallId} ignored: {Reason}")]
    public static partial void WebhookIgnored(ILogger logger, string @event, string? callId, string? reason);
}
