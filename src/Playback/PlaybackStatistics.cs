namespace Playback;

/// <summary>Counts kept by a <see cref="PlaybackManager"/> since it started.</summary>
/// <param name="ActiveCalls">Call actors alive now.</param>
/// <param name="RequestsSent">REST requests sent to the Calling API.</param>
/// <param name="WebhooksAccepted">Webhooks routed to a known playback or call.</param>
/// <param name="WebhooksRejected">Webhooks refused (signature, malformed).</param>
/// <param name="WebhooksIgnored">Webhooks about nothing tracked (unknown call or control id, unused event type).</param>
/// <param name="WebhooksForUnknownCalls">Of the ignored: webhooks for a call with no actor (dropped; they never create one).</param>
/// <param name="RequestsFailed">REST requests that failed (any error, transient or final).</param>
/// <param name="ConsecutiveTransientFailures">Transient failures (timeouts, connection errors, 429, 5xx) since the last request that got an answer from the API; 0 when the API is reachable.</param>
/// <param name="LastAnswerAt">When the API last answered a request (2xx or a final error such as 404/422); null before the first.</param>
/// <param name="LastTransientFailure">The last transient failure's message, if any.</param>
/// <param name="Retries">Retries made by the resilience pipeline (0 when the API is not a <see cref="ResilientCallingApi"/>).</param>
/// <param name="BreakerOpenings">How often the circuit breaker opened.</param>
public sealed record PlaybackStatistics(
    long ActiveCalls,
    long RequestsSent,
    long WebhooksAccepted,
    long WebhooksRejected,
    long WebhooksIgnored,
    long WebhooksForUnknownCalls,
    long RequestsFailed,
    long ConsecutiveTransientFailures,
    DateTimeOffset? LastAnswerAt,
    string? LastTransientFailure,
    long Retries,
    long BreakerOpenings);
