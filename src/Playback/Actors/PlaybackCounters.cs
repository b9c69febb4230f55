namespace Playback;

/// <summary>Counts kept by a <see cref="PlaybackManager"/> since it started.</summary>
/// <param name="ActiveCalls">Call actors alive now.</param>
/// <param name="RequestsSent">REST requests sent to the Calling API.</param>
/// <param name="WebhooksAccepted">Webhooks routed to a known playback or call.</param>
/// <param name="WebhooksRejected">Webhooks refused (signature, malformed).</param>
/// <param name="WebhooksIgnored">Webhooks about nothing tracked (unknown call or control id, unused event type).</param>
/// <param name="WebhooksForUnknownCalls">Of the ignored: webhooks for a call with no actor (dropped; they never create one).</param>
public sealed record PlaybackStatistics(long ActiveCalls, long RequestsSent, long WebhooksAccepted, long WebhooksRejected, long WebhooksIgnored, long WebhooksForUnknownCalls);

/// <summary>Thread-safe counters behind <see cref="PlaybackStatistics"/>.</summary>
internal sealed class PlaybackCounters
{
    private long _activeCalls;
    private long _requestsSent;
    private long _accepted;
    private long _rejected;
    private long _ignored;
    private long _unknownCalls;

    public void CallStarted() => Interlocked.Increment(ref _activeCalls);

    public void CallStopped() => Interlocked.Decrement(ref _activeCalls);

    public void RequestSent() => Interlocked.Increment(ref _requestsSent);

    public void UnknownCall() => Interlocked.Increment(ref _unknownCalls);

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

    public PlaybackStatistics Read() => new(
        Interlocked.Read(ref _activeCalls),
        Interlocked.Read(ref _requestsSent),
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _ignored),
        Interlocked.Read(ref _unknownCalls));
}
