namespace Playback;

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

    public void CallStopped(int count = 1)
    {
        Interlocked.Add(ref _activeCalls, -count);
        Metrics?.Calls(-count);
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
