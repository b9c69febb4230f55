using System.Collections.Concurrent;

namespace Playback.ChaosTests;

/// <summary>The outcome of one command: "success" or the kind of exception it ended with.</summary>
public sealed record CommandOutcome(int Id, string Kind, string CallId, string ControlId, string Category, Exception? Error);

/// <summary>
/// Issues commands and records exactly one outcome per command. Every command is wrapped in a task that never throws:
/// it records success or the exception's category. A second outcome for one command id is counted as a violation.
/// </summary>
public sealed class ChaosLedger
{
    /// <summary>Categories that are legitimate answers under chaos (see <see cref="Classify"/>).</summary>
    public static readonly IReadOnlySet<string> Expected = new HashSet<string>(StringComparer.Ordinal)
    {
        "success",
        // Pausing/stopping a playback that has already ended, or that is still queued.
        nameof(PlaybackStateException),
        // Any command after a hang-up (404, or the ended webhook arrived first).
        nameof(CallGoneException),
        // The server says the play is no longer active: it ended by itself (or the call ended) and the webhook saying so
        // was dropped or has not arrived yet. Also what a Replace play reports when the stop of its predecessor got it.
        "CallingApiException final 422 not_active",
        // Retries exhausted, command deadline passed, or the breaker open: possible under chaos, but should be rare.
        "CallingApiException transient",
        "CallingApiException transient (breaker open)",
    };

    private readonly ConcurrentDictionary<int, CommandOutcome> _outcomes = new();
    private readonly ConcurrentQueue<(int Id, string Kind, Task Task)> _issued = new();
    private int _next;
    private int _doubleOutcomes;

    public int DoubleOutcomes => Volatile.Read(ref _doubleOutcomes);

    public IReadOnlyCollection<CommandOutcome> Outcomes => _outcomes.Values.OrderBy(o => o.Id).ToList();

    public IReadOnlyList<(int Id, string Kind, Task Task)> Issued => _issued.ToList();

    /// <summary>Issues a command; the returned task completes with the result, or null when the command failed.</summary>
    public Task<T?> Run<T>(string kind, string callId, string controlId, Func<Task<T>> command)
        where T : class
    {
        var id = Interlocked.Increment(ref _next);
        var task = WrapAsync(id, kind, callId, controlId, command);
        _issued.Enqueue((id, kind, task));
        return task;
    }

    public static string Classify(Exception e) => e switch
    {
        CallGoneException => nameof(CallGoneException),
        PlaybackStateException => nameof(PlaybackStateException),
        CallingApiException { IsTransient: true } c when c.ServerMessage?.StartsWith("circuit open", StringComparison.Ordinal) == true => "CallingApiException transient (breaker open)",
        CallingApiException { IsTransient: true } => "CallingApiException transient",
        CallingApiException c => $"CallingApiException final {c.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(no status)"} {string.Join(",", c.Errors.Select(x => x.Code))}".TrimEnd(),
        TimeoutException => nameof(TimeoutException),
        PlaybackShutdownException => nameof(PlaybackShutdownException),
        OperationCanceledException => nameof(OperationCanceledException),
        _ => "other: " + e.GetType().Name,
    };

    private async Task<T?> WrapAsync<T>(int id, string kind, string callId, string controlId, Func<Task<T>> command)
        where T : class
    {
        try
        {
            var result = await command();
            Record(new CommandOutcome(id, kind, callId, controlId, "success", null));
            return result;
        }
        catch (Exception e)
        {
            Record(new CommandOutcome(id, kind, callId, controlId, Classify(e), e));
            return null;
        }
    }

    private void Record(CommandOutcome outcome)
    {
        if (!_outcomes.TryAdd(outcome.Id, outcome))
        {
            Interlocked.Increment(ref _doubleOutcomes);
        }
    }
}
