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

/// <summary>Thread-safe counters behind <see cref="PlaybackStatistics"/>.</summary>
internal sealed class PlaybackCounters
{
    private long _activeCalls;
    private long _requestsSent;
    private long _accepted;
    private long _rejected;
    private long _ignored;
    private long _unknownCalls;
    private long _failed;
    private long _consecutiveTransient;
    private long _lastAnswerTicks;
    private string? _lastTransientFailure;

    /// <summary>The manager's metrics, which count the active calls too.</summary>
    public PlaybackMetrics? Metrics { get; set; }

    public void CallStarted()
    {
        Interlocked.Increment(ref _activeCalls);
        Metrics?.Calls(1);
    }

    public void CallStopped()
    {
        Interlocked.Decrement(ref _activeCalls);
        Metrics?.Calls(-1);
    }

    public void RequestSent() => Interlocked.Increment(ref _requestsSent);

    public void UnknownCall() => Interlocked.Increment(ref _unknownCalls);

    /// <summary>Records a request's outcome: an answer from the API (success or a final error) or a transient failure.</summary>
    public void RequestCompleted(Exception? error)
    {
        if (error is not null)
        {
            Interlocked.Increment(ref _failed);
        }

        if (error is CallingApiException { IsTransient: true } transient)
        {
            Interlocked.Increment(ref _consecutiveTransient);
            Volatile.Write(ref _lastTransientFailure, transient.Message);
            return;
        }

        if (error is null or CallingApiException)
        {
            Interlocked.Exchange(ref _consecutiveTransient, 0);
            Interlocked.Exchange(ref _lastAnswerTicks, DateTimeOffset.UtcNow.UtcTicks);
        }
    }

    public void Webhook(WebhookStatus status)
    {
        switch (status)
        {
            case WebhookStatus.Accepted:
                Interlocked.Increment(ref _accepted);
                break;
            case WebhookStatus.Rejected:
                Interlocked.Increment(ref _rejected);
                break;
            default:
                Interlocked.Increment(ref _ignored);
                break;
        }
    }

    public PlaybackStatistics Read(ResilientCallingApi? resilience) => new(
        Interlocked.Read(ref _activeCalls),
        Interlocked.Read(ref _requestsSent),
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _ignored),
        Interlocked.Read(ref _unknownCalls),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _consecutiveTransient),
        Interlocked.Read(ref _lastAnswerTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null,
        Volatile.Read(ref _lastTransientFailure),
        resilience?.Retries ?? 0,
        resilience?.BreakerOpenings ?? 0);
}
