namespace Playback.Emulator;

/// <summary>One request the emulator received.</summary>
/// <param name="Time">When it arrived (emulator clock).</param>
/// <param name="CallId">The body's <c>id</c>, when there was one.</param>
/// <param name="Command">The body's <c>command</c>, when there was one.</param>
/// <param name="ControlId">The body's <c>params.control_id</c>, when there was one.</param>
/// <param name="Body">The raw body.</param>
/// <param name="Status">The status answered; 0 when the connection was dropped.</param>
/// <param name="Fault">The injected fault, if any (e.g. <c>status 503</c>, <c>drop</c>, <c>latency 200 ms</c>).</param>
public sealed record JournalRequest(DateTimeOffset Time, string? CallId, string? Command, string? ControlId, string Body, int Status, string? Fault);

/// <summary>One authenticated, parseable request as it arrived, before any fault or the command was applied.</summary>
/// <param name="Time">When it arrived (emulator clock).</param>
/// <param name="CallId">The body's <c>id</c>, when there was one.</param>
/// <param name="Command">The body's <c>command</c>, when there was one.</param>
/// <param name="ControlId">The body's <c>params.control_id</c>, when there was one.</param>
/// <param name="Traceparent">The request's W3C <c>traceparent</c> header, when it had one.</param>
public sealed record JournalArrival(DateTimeOffset Time, string? CallId, string? Command, string? ControlId, string? Traceparent = null);

/// <summary>One webhook the emulator sent (or dropped).</summary>
/// <param name="Time">When it was sent or dropped (emulator clock).</param>
/// <param name="CallId">The call.</param>
/// <param name="ControlId">The play, for <c>calling.call.play</c>.</param>
/// <param name="EventType"><c>calling.call.play</c> or <c>calling.call.state</c>.</param>
/// <param name="State">The play state or call state.</param>
/// <param name="Url">Where it was sent.</param>
/// <param name="Body">The exact body bytes, as text.</param>
/// <param name="Outcome"><c>delivered 200</c>, <c>failed: …</c> or <c>dropped</c>.</param>
/// <param name="Fault">The injected fault, if any.</param>
public sealed record JournalWebhook(DateTimeOffset Time, string CallId, string? ControlId, string EventType, string State, string Url, string Body, string Outcome, string? Fault);

/// <summary>Everything the emulator received and sent, in order, and the count of overlapping commands for one call.</summary>
public sealed class EmulatorJournal
{
    private readonly object _gate = new();
    private readonly List<JournalRequest> _requests = [];
    private readonly List<JournalWebhook> _webhooks = [];
    private readonly List<JournalArrival> _arrivals = [];
    private long _overlaps;

    // Only the emulator writes a journal: one made elsewhere would stay empty.
    internal EmulatorJournal()
    {
    }

    /// <summary>The requests, in arrival order.</summary>
    public IReadOnlyList<JournalRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToList();
            }
        }
    }

    /// <summary>
    /// The authenticated, parseable requests in the order they arrived, each recorded before it was processed (a
    /// <see cref="Requests"/> entry is recorded when it is answered). An arrival without its request is being answered.
    /// </summary>
    public IReadOnlyList<JournalArrival> Arrivals
    {
        get
        {
            lock (_gate)
            {
                return _arrivals.ToList();
            }
        }
    }

    /// <summary>The webhooks, in the order they were sent or dropped.</summary>
    public IReadOnlyList<JournalWebhook> Webhooks
    {
        get
        {
            lock (_gate)
            {
                return _webhooks.ToList();
            }
        }
    }

    /// <summary>How many times a request for a call arrived while another request for the same call was still being decided (from its arrival until its answer starts). A client that serializes its commands per call keeps this at 0.</summary>
    public long Overlaps => Interlocked.Read(ref _overlaps);

    /// <summary>Forgets every entry and resets <see cref="Overlaps"/>.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
            _webhooks.Clear();
            _arrivals.Clear();
        }

        Interlocked.Exchange(ref _overlaps, 0);
    }

    internal void Add(JournalRequest request)
    {
        lock (_gate)
        {
            _requests.Add(request);
        }
    }

    internal void Add(JournalArrival arrival)
    {
        lock (_gate)
        {
            _arrivals.Add(arrival);
        }
    }

    internal void Add(JournalWebhook webhook)
    {
        lock (_gate)
        {
            _webhooks.Add(webhook);
        }
    }

    internal void Overlap() => Interlocked.Increment(ref _overlaps);
}
