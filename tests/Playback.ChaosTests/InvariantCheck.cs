using System.Collections.Concurrent;
using System.Diagnostics;
using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>What the test knows about one call: the control ids it played, the handles it got, the plays whose PlayAsync threw.</summary>
/// <param name="CallId">The call.</param>
/// <param name="ControlIds">Every control id the test played on it.</param>
/// <param name="Handles">The handles of the plays that PlayAsync returned.</param>
/// <param name="PlayFailures">Control id → how PlayAsync failed, for the plays that threw.</param>
public sealed record CallRecord(string CallId, IReadOnlyList<string> ControlIds, IReadOnlyDictionary<string, PlaybackHandle> Handles, IReadOnlyDictionary<string, string> PlayFailures);

/// <summary>Playback's report of one playback: its state and reason, and where the test read it.</summary>
public sealed record PlaybackView(PlaybackState State, string? Reason, string Source)
{
    public override string ToString() => $"{State}{(Reason is null ? string.Empty : $" ({Reason})")} from {Source}";
}

/// <summary>One disagreement between Playback and the server.</summary>
/// <param name="Rule"><c>a</c> (Playback says ended or not started, the server plays it), <c>b</c> (Playback says playing or paused, the server does not), <c>c</c> (a play on the server Playback does not know), <c>self</c> (Playback's own reports disagree).</param>
public sealed record InvariantViolation(string Rule, string CallId, string ControlId, string Playback, string Server)
{
    public override string ToString() => $"INVARIANT ({Rule}) call {CallId} control {ControlId}: Playback {Playback}; server {Server}";
}

/// <summary>Every event Playback published (the last one of each playback, terminal states absorbing), and when the last arrived.</summary>
public sealed class PlaybackEventLog : IDisposable
{
    private readonly ConcurrentDictionary<(string CallId, string ControlId), PlaybackEvent> _last = new();
    private readonly IDisposable _subscription;
    private long _count;

    public PlaybackEventLog(PlaybackManager playback) =>
        _subscription = playback.Events.Subscribe(e =>
        {
            _last.AddOrUpdate((e.CallId, e.ControlId), e, (_, old) => old.State.IsTerminal() ? old : e);
            Interlocked.Increment(ref _count);
        });

    /// <summary>How many events arrived so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    public PlaybackEvent? Last(string callId, string controlId) => _last.GetValueOrDefault((callId, controlId));

    public void Dispose() => _subscription.Dispose();
}

/// <summary>
/// THE INVARIANT, checked after a settle time: what Playback reports for each playback and what the emulator plays agree.
/// (a) nothing Playback reports Failed, Stopped or Finished (or still Queued) is playing or paused on the server;
/// (b) nothing Playback reports Playing or Paused (or Starting) is absent or ended on the server, unless the server's end
/// was never announced to Playback (its final webhook and the call's <c>ended</c> were both lost: then only the watchdog
/// or the next command can tell);
/// (c) no play is active on the server that Playback does not know.
/// Playback's own reports (handle or completion, the exception of PlayAsync, the last event, <c>Snapshot(callId)</c>) must
/// also agree with one another. Nothing here reads an error's wording.
/// </summary>
public static class InvariantCheck
{
    /// <summary>Evaluates the invariant now; when it does not hold, evaluates it again after <paramref name="persistence"/> (and a settle) and reports what held in both, so that a play ending just as the check runs is not counted.</summary>
    public static async Task<IReadOnlyList<InvariantViolation>> CheckAsync(IReadOnlyList<CallRecord> calls, CallingEmulator emulator, PlaybackManager playback, PlaybackEventLog events, string webhookUrl, TimeSpan persistence, TimeSpan settleLimit)
    {
        var first = Evaluate(calls, emulator, playback, events, webhookUrl);
        if (first.Count == 0)
        {
            return first;
        }

        await Task.Delay(persistence);
        await SettleAsync(emulator, events, settleLimit);
        var again = Evaluate(calls, emulator, playback, events, webhookUrl);
        var before = first.Select(v => (v.Rule, v.CallId, v.ControlId)).ToHashSet();
        return again.Where(v => before.Contains((v.Rule, v.CallId, v.ControlId))).ToList();
    }

    /// <summary>Waits until webhook delivery is quiescent: the emulator's queue is drained and neither the journal's webhooks nor Playback's events changed for a while; at most <paramref name="limit"/>.</summary>
    /// <returns>How long it took, and whether it became quiescent within the limit.</returns>
    public static async Task<(TimeSpan Took, bool Quiescent)> SettleAsync(CallingEmulator emulator, PlaybackEventLog events, TimeSpan limit)
    {
        var quiet = TimeSpan.FromMilliseconds(500);
        var clock = Stopwatch.StartNew();
        var lastWebhooks = -1;
        var lastEvents = -1L;
        var stableSince = TimeSpan.Zero;
        while (clock.Elapsed < limit)
        {
            await emulator.DrainWebhooksAsync(limit - clock.Elapsed);
            var webhooks = emulator.Journal.Webhooks.Count;
            var published = events.Count;
            if (webhooks != lastWebhooks || published != lastEvents)
            {
                (lastWebhooks, lastEvents, stableSince) = (webhooks, published, clock.Elapsed);
            }
            else if (clock.Elapsed - stableSince >= quiet)
            {
                return (clock.Elapsed, true);
            }

            await Task.Delay(100);
        }

        return (clock.Elapsed, false);
    }

    /// <summary>Playback's report of one playback, or null when it reports nothing about it.</summary>
    public static PlaybackView? ViewOf(CallRecord call, string controlId, PlaybackEventLog events)
    {
        if (call.Handles.TryGetValue(controlId, out var handle))
        {
            return handle.Completion.IsCompletedSuccessfully
                ? new PlaybackView(handle.Completion.Result.State, handle.Completion.Result.Reason, "completion")
                : new PlaybackView(handle.Current, handle.Reason, "handle");
        }

        if (call.PlayFailures.TryGetValue(controlId, out var failure))
        {
            return new PlaybackView(PlaybackState.Failed, failure, "PlayAsync threw");
        }

        return events.Last(call.CallId, controlId) is { } last ? new PlaybackView(last.State, last.Reason, "last event") : null;
    }

    public static IReadOnlyList<InvariantViolation> Evaluate(IReadOnlyList<CallRecord> calls, CallingEmulator emulator, PlaybackManager playback, PlaybackEventLog events, string webhookUrl)
    {
        // Which ends were announced to Playback: a final play webhook or the call's "ended", delivered with a 2xx.
        var delivered = emulator.Journal.Webhooks
            .Where(w => w.Url == webhookUrl && w.Outcome.StartsWith("delivered 2", StringComparison.Ordinal))
            .ToList();
        var playEnds = delivered.Where(w => w.EventType == "calling.call.play" && w.State is "finished" or "error").Select(w => (w.CallId, w.ControlId)).ToHashSet();
        var callEnds = delivered.Where(w => w.EventType == "calling.call.state" && w.State == "ended").Select(w => w.CallId).ToHashSet(StringComparer.Ordinal);

        var violations = new List<InvariantViolation>();
        foreach (var call in calls)
        {
            var server = emulator.GetPlays(call.CallId).ToDictionary(p => p.ControlId, StringComparer.Ordinal);
            var snapshot = playback.Snapshot(call.CallId).ToDictionary(p => p.ControlId, StringComparer.Ordinal);
            foreach (var controlId in call.ControlIds)
            {
                var view = ViewOf(call, controlId, events);
                var play = server.GetValueOrDefault(controlId);
                var serverActive = play?.State is "playing" or "paused";
                var serverText = play is null ? "never had it" : play.State;
                void Add(string rule, string playbackText) => violations.Add(new InvariantViolation(rule, call.CallId, controlId, playbackText, serverText));

                if (view is null)
                {
                    if (serverActive)
                    {
                        Add("c", "knows nothing of it");
                    }

                    continue;
                }

                var ended = view.State.IsTerminal() || view.State == PlaybackState.Queued;
                if (ended && serverActive)
                {
                    Add("a", view.ToString());
                }

                if (!ended && !serverActive)
                {
                    var unannounced = play is not null && !playEnds.Contains((call.CallId, controlId)) && !callEnds.Contains(call.CallId);
                    if (!unannounced)
                    {
                        Add("b", view.ToString());
                    }
                }

                var listed = snapshot.GetValueOrDefault(controlId);
                if (view.State.IsTerminal() && listed is not null)
                {
                    Add("self", $"{view}, but Snapshot(callId) lists it {listed.State}");
                }
                else if (!view.State.IsTerminal() && listed is null)
                {
                    Add("self", $"{view}, but Snapshot(callId) does not list it");
                }
            }

            // Plays on the server under control ids the test never played (cannot happen unless something invents them).
            foreach (var play in server.Values.Where(p => p.State is "playing" or "paused" && !call.ControlIds.Contains(p.ControlId)))
            {
                violations.Add(new InvariantViolation("c", call.CallId, play.ControlId, "knows nothing of it", play.State));
            }
        }

        return violations;
    }
}
