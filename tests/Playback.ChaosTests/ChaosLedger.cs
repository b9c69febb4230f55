using System.Collections.Concurrent;
using System.Diagnostics;

namespace Playback.ChaosTests;

/// <summary>The outcome of one command: "success" or the kind of exception it ended with.</summary>
public sealed record CommandOutcome(int Id, string Kind, string CallId, string ControlId, string Category, Exception? Error);

/// <summary>
/// One command issued through Playback, with the times the stall detector reads: when it was issued and when its caller
/// got the outcome (null while in flight). <see cref="WireCommand"/> is the Calling API command it sends.
/// </summary>
public sealed class TrackedCommand(int id, string kind, string callId, string controlId, string wireCommand)
{
    private long _repliedTicks;

    public int Id { get; } = id;

    public string Kind { get; } = kind;

    public string CallId { get; } = callId;

    public string ControlId { get; } = controlId;

    public string WireCommand { get; } = wireCommand;

    public DateTimeOffset IssuedAt { get; } = DateTimeOffset.UtcNow;

    public long IssuedTicks { get; } = Stopwatch.GetTimestamp();

    /// <summary>Completes when the command has its outcome; never throws.</summary>
    public Task Task { get; internal set; } = Task.CompletedTask;

    public bool Replied => Interlocked.Read(ref _repliedTicks) != 0;

    /// <summary>How long the command waited for its outcome, or has waited so far.</summary>
    public TimeSpan Waited(long nowTicks)
    {
        var replied = Interlocked.Read(ref _repliedTicks);
        return Stopwatch.GetElapsedTime(IssuedTicks, replied != 0 ? replied : nowTicks);
    }

    internal void MarkReplied() => Interlocked.CompareExchange(ref _repliedTicks, Math.Max(1, Stopwatch.GetTimestamp()), 0);

    public override string ToString() => $"#{Id} {Kind} {ControlId} on call {CallId}";
}

/// <summary>
/// Issues commands and records exactly one outcome per command. Every command is wrapped in a task that never throws:
/// it records success or the exception's category. A second outcome for one command id is counted as a violation.
/// </summary>
public sealed class ChaosLedger
{
    /// <summary>
    /// Categories that are legitimate answers under chaos (see <see cref="Classify"/>). None depends on a server's error
    /// wording: what a command's failure left behind is judged by state, by the invariant check.
    /// </summary>
    public static readonly IReadOnlySet<string> Expected = new HashSet<string>(StringComparer.Ordinal)
    {
        "success",
        // Pausing/stopping a playback that has already ended, or that is still queued.
        nameof(PlaybackStateException),
        // Any command after a hang-up (404, or the ended webhook arrived first). On a call the test did not hang up it is
        // a violation of its own (see the chaos test).
        nameof(CallGoneException),
        // The server refused a command on a control id that ended by itself, or that it does not know (servers answer
        // 404 or 422); whatever the command's outcome, the playback's state must still agree with the server's.
        "CallingApiException final 404",
        "CallingApiException final 422",
        // Retries exhausted, command deadline passed, or the breaker open: possible under chaos, but should be rare.
        "CallingApiException transient",
        "CallingApiException transient (breaker open)",
    };

    private readonly ConcurrentDictionary<int, CommandOutcome> _outcomes = new();
    private readonly ConcurrentQueue<TrackedCommand> _issued = new();
    private int _next;
    private int _doubleOutcomes;

    public int DoubleOutcomes => Volatile.Read(ref _doubleOutcomes);

    public IReadOnlyCollection<CommandOutcome> Outcomes => _outcomes.Values.OrderBy(o => o.Id).ToList();

    public IReadOnlyList<TrackedCommand> Issued => _issued.ToList();

    /// <summary>Issues a command; the returned task completes with the result, or null when the command failed.</summary>
    /// <param name="kind">What the test calls it (e.g. <c>play (enqueue)</c>, <c>stop (wind-down)</c>).</param>
    /// <param name="wireCommand">The Calling API command it sends (<c>calling.play</c>, <c>calling.play.stop</c>, …).</param>
    public Task<T?> Run<T>(string kind, string wireCommand, string callId, string controlId, Func<Task<T>> command)
        where T : class
    {
        var tracked = new TrackedCommand(Interlocked.Increment(ref _next), kind, callId, controlId, wireCommand);
        var task = WrapAsync(tracked, command);
        tracked.Task = task;
        _issued.Enqueue(tracked);
        return task;
    }

    public static string Classify(Exception e) => e switch
    {
        CallGoneException => nameof(CallGoneException),
        PlaybackStateException => nameof(PlaybackStateException),
        CallingApiException { IsTransient: true } c when c.ServerMessage?.StartsWith("circuit open", StringComparison.Ordinal) == true => "CallingApiException transient (breaker open)",
        CallingApiException { IsTransient: true } => "CallingApiException transient",
        CallingApiException c => $"CallingApiException final {c.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(no status)"}",
        TimeoutException => nameof(TimeoutException),
        PlaybackShutdownException => nameof(PlaybackShutdownException),
        OperationCanceledException => nameof(OperationCanceledException),
        _ => "other: " + e.GetType().Name,
    };

    private async Task<T?> WrapAsync<T>(TrackedCommand tracked, Func<Task<T>> command)
        where T : class
    {
        try
        {
            var result = await command();
            Record(tracked, "success", null);
            return result;
        }
        catch (Exception e)
        {
            Record(tracked, Classify(e), e);
            return null;
        }
    }

    private void Record(TrackedCommand tracked, string category, Exception? error)
    {
        tracked.MarkReplied();
        if (!_outcomes.TryAdd(tracked.Id, new CommandOutcome(tracked.Id, tracked.Kind, tracked.CallId, tracked.ControlId, category, error)))
        {
            Interlocked.Increment(ref _doubleOutcomes);
        }
    }
}
