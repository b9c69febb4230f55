using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>The check after a run: every command's outcome, every playback's truth against the server's journal, and the summary.</summary>
public sealed partial class ChaosTests
{
    private StringBuilder Analyse(
        LoopbackStack stack,
        string dialectName,
        CallScript[] calls,
        ChaosLedger ledger,
        IReadOnlyList<TrackedCommand> issued,
        List<PlaybackHandle> handles,
        ConcurrentQueue<string> deadLetters,
        long injected,
        int refreshes,
        List<string> violations)
    {
        var emulator = stack.Emulator;
        var requests = emulator.Journal.Requests;
        var webhooks = emulator.Journal.Webhooks;
        var outcomes = ledger.Outcomes;
        var callsById = calls.ToDictionary(c => c.Id, StringComparer.Ordinal);

        // (1) Exactly one outcome per command.
        var pending = issued.Where(i => !i.Task.IsCompleted).ToList();
        foreach (var command in pending.Take(10))
        {
            violations.Add($"command {command} has no outcome after {CommandPatience.TotalSeconds:0} s");
        }

        if (pending.Count > 10)
        {
            violations.Add($"{pending.Count - 10} more commands have no outcome");
        }

        if (outcomes.Count != issued.Count)
        {
            violations.Add($"{issued.Count} commands issued but {outcomes.Count} outcomes recorded");
        }

        if (ledger.DoubleOutcomes > 0)
        {
            violations.Add($"{ledger.DoubleOutcomes} commands recorded two outcomes");
        }

        if (!deadLetters.IsEmpty)
        {
            violations.Add($"{deadLetters.Count} command replies went to dead letters (a command answered twice or after its caller gave up), e.g. {deadLetters.First()}");
        }

        foreach (var o in outcomes.Where(o => !ChaosLedger.Expected.Contains(o.Category)))
        {
            violations.Add($"unexpected outcome of {o.Kind} {o.ControlId} on call {o.CallId}: {o.Category}: {o.Error?.Message}; handle {(callsById[o.CallId].Handles.TryGetValue(o.ControlId, out var h) ? $"{h.Current} ({h.Reason})" : "none")}; {History(o.CallId, o.ControlId, requests, webhooks, outcomes)}");
        }

        // A call is gone only when it is: the test is the only one that hangs calls up.
        foreach (var o in outcomes.Where(o => o.Category == nameof(CallGoneException) && !callsById[o.CallId].IsHungUp))
        {
            violations.Add($"{o.Kind} {o.ControlId} on call {o.CallId} failed with CallGoneException, but the call was never hung up (it is alive on the server); {History(o.CallId, o.ControlId, requests, webhooks, outcomes)}");
        }

        // (2) No control id started twice on the server.
        var applied = 0;
        var appliedButDropped = 0;
        var refused = 0;
        var conflictStatus = stack.Emulator.Options.Dialect.ConflictStatus;
        foreach (var attempts in requests.Where(r => r.Command == "calling.play").GroupBy(r => (r.CallId, r.ControlId)))
        {
            var landed = false;
            foreach (var r in attempts)
            {
                var afterApply = r.Status == 0 && r.Fault?.Contains("after apply", StringComparison.Ordinal) == true;
                if (r.Status == 200 && landed)
                {
                    violations.Add($"control id {r.ControlId} on call {r.CallId} was started twice (a 200 after an applied attempt)");
                }

                if (r.Status == conflictStatus)
                {
                    refused++;
                    if (!landed)
                    {
                        violations.Add($"play {r.ControlId} on call {r.CallId} was refused ({r.Status}) before any attempt landed");
                    }
                }

                if (r.Status == 200 || afterApply)
                {
                    applied += r.Status == 200 ? 1 : 0;
                    appliedButDropped += afterApply ? 1 : 0;
                    landed = true;
                }
            }
        }

        foreach (var events in webhooks.Where(w => w.EventType == "calling.call.play").GroupBy(w => (w.CallId, w.ControlId)))
        {
            var stamped = events.Select(w => (Webhook: w, Stamp: Stamp(w.Body))).ToList();
            var firstEnd = stamped.Where(x => x.Webhook.State is "finished" or "error").Select(x => (double?)x.Stamp).Min();
            if (firstEnd is { } end && stamped.FirstOrDefault(x => x.Stamp > end) is { Webhook: not null } later)
            {
                violations.Add($"control id {events.Key.ControlId} on call {events.Key.CallId} emitted '{later.Webhook.State}' after it had ended: started twice");
            }
        }

        // (3) Never two requests in flight for one call.
        if (emulator.Journal.Overlaps != 0)
        {
            violations.Add($"{emulator.Journal.Overlaps} requests overlapped another request for the same call");
        }

        var badRequests = requests.Where(r => r.Status is 400 or 401 or 403).ToList();
        if (badRequests.Count > 0)
        {
            violations.Add($"{badRequests.Count} requests were answered 400/401/403, e.g. {badRequests[0].Command} {badRequests[0].Status}");
        }

        // (4) Every playback terminal (the invariant check covers what is left on the server).
        foreach (var h in handles.Where(h => !h.Completion.IsCompletedSuccessfully).Take(20))
        {
            var server = emulator.GetPlay(h.CallId, h.ControlId);
            violations.Add($"playback {h.ControlId} on call {h.CallId} did not end: handle {h.Current} ({h.Reason}), completion {h.Completion.Status}, server {server?.State ?? "(never started)"}, hung up {callsById[h.CallId].IsHungUp}; {History(h.CallId, h.ControlId, requests, webhooks, outcomes)}");
        }

        // (5) The handle's terminal state agrees with the server's truth.
        var delivered = webhooks
            .Where(w => w.EventType == "calling.call.play" && w.State is "finished" or "error" && w.Url == stack.WebhookUrl && w.Outcome.StartsWith("delivered 2", StringComparison.Ordinal))
            .Select(w => (w.CallId, w.ControlId, w.State))
            .ToHashSet();
        var terminal = new Dictionary<string, int>(StringComparer.Ordinal);
        var checkedAgainstWebhook = 0;
        foreach (var c in calls)
        {
            for (var i = 0; i < c.ControlIds.Count; i++)
            {
                var id = c.ControlIds[i];
                if (!c.Handles.TryGetValue(id, out var handle) || !handle.Completion.IsCompletedSuccessfully)
                {
                    continue;
                }

                var outcome = handle.Completion.Result;
                var state = outcome.State;
                var reason = outcome.Reason ?? string.Empty;
                Bump(terminal, $"{state} ({Shorten(reason)})");
                var server = emulator.GetPlay(c.Id, id)?.State;
                var stopRequested = c.StopRequested.ContainsKey(id) || c.ReplacedBefore.Values.Any(index => index > i);
                var finishedDelivered = delivered.Contains((c.Id, id, "finished"));
                var errorDelivered = delivered.Contains((c.Id, id, "error"));
                string Where() => $"playback {id} ({c.Kinds[id]}) on call {c.Id}: handle {state} ({reason}), server {server ?? "(never started)"}, stop requested {stopRequested}, hung up {c.IsHungUp}; {History(c.Id, id, requests, webhooks, outcomes)}";
                if (state == PlaybackState.Finished && server != "finished")
                {
                    violations.Add("Finished without the server's finished: " + Where());
                }

                if (state == PlaybackState.Stopped && !stopRequested)
                {
                    violations.Add("Stopped without a stop: " + Where());
                }

                if (server is null && state is not (PlaybackState.Stopped or PlaybackState.Failed))
                {
                    violations.Add("never on the server yet not Stopped/Failed: " + Where());
                }

                if (server == "finished" && finishedDelivered)
                {
                    checkedAgainstWebhook++;
                    // Failed is right when the call ended, or when a play whose outcome was unknown was stopped before it
                    // was reported failed (a stop for it reached the server).
                    var failedRightly = state == PlaybackState.Failed && (c.IsHungUp || StopReachedServer(c.Id, id, requests));
                    if (state is not (PlaybackState.Finished or PlaybackState.Stopped) && !failedRightly)
                    {
                        violations.Add("server finished (webhook delivered) but " + Where());
                    }
                }

                if (server == "error" && errorDelivered)
                {
                    checkedAgainstWebhook++;
                    if (state != PlaybackState.Failed && !(state == PlaybackState.Stopped && stopRequested))
                    {
                        violations.Add("server error (webhook delivered) but " + Where());
                    }
                }
            }
        }

        // The summary block.
        var stats = stack.Playback.Statistics;
        var s = new StringBuilder();
        s.AppendLine("=== chaos summary ===");
        s.AppendLine(CultureInfo.InvariantCulture, $"dialect: {dialectName}; seed: {Seed}; emulator speed {Speed}x; status timeout {StatusTimeout.TotalSeconds:0} s");
        s.AppendLine(CultureInfo.InvariantCulture, $"calls: {calls.Length} (hung up mid-sequence {calls.Count(c => c.HungUpMidSequence)}, at wind-down {calls.Count(c => c.IsHungUp && !c.HungUpMidSequence)})");
        s.AppendLine(CultureInfo.InvariantCulture, $"commands: {issued.Count} — {Join(issued.GroupBy(i => i.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}");
        s.AppendLine(CultureInfo.InvariantCulture, $"outcomes: {outcomes.Count} (pending {pending.Count}) — {Join(outcomes.GroupBy(o => o.Category).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))}");
        s.AppendLine(CultureInfo.InvariantCulture, $"  not success, by command: {Join(outcomes.Where(o => o.Category != "success").GroupBy(o => $"{o.Kind} → {o.Category}").OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))}");
        s.AppendLine(CultureInfo.InvariantCulture, $"playbacks (handles): {handles.Count} — {Join(terminal.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}"))}");
        s.AppendLine(CultureInfo.InvariantCulture, $"checked against a delivered final webhook: {checkedAgainstWebhook}");
        s.AppendLine(CultureInfo.InvariantCulture, $"faults injected: {injected} (Faults.Injected summed over {refreshes + 1} plan generations)");
        s.AppendLine(CultureInfo.InvariantCulture, $"  requests: {requests.Count} — {Join(requests.GroupBy(r => FaultKind(r)).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))}");
        s.AppendLine(CultureInfo.InvariantCulture, $"  webhooks: {webhooks.Count} — {Join(webhooks.GroupBy(w => w.Fault ?? "no fault").OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))}");
        s.AppendLine(CultureInfo.InvariantCulture, $"plays on the server: applied {applied} (+ {appliedButDropped} applied with the connection dropped after), retried plays refused ({conflictStatus}) {refused}, started twice 0 expected");
        s.AppendLine(CultureInfo.InvariantCulture, $"429 → next attempt of the same command (Retry-After 1 s, or an HTTP-date ≤ 1 s ahead): {RetryAfterGaps(requests)}");
        s.AppendLine(CultureInfo.InvariantCulture, $"webhooks: {Join(webhooks.GroupBy(w => Outcome(w.Outcome)).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))}");
        s.AppendLine(CultureInfo.InvariantCulture, $"playback statistics: requests sent {stats.RequestsSent}, failed {stats.RequestsFailed}, retries {stats.Retries}, breaker openings {stats.BreakerOpenings}, webhooks accepted {stats.WebhooksAccepted} / ignored {stats.WebhooksIgnored} / rejected {stats.WebhooksRejected} / unknown calls {stats.WebhooksForUnknownCalls}");
        s.AppendLine(CultureInfo.InvariantCulture, $"overlaps: {emulator.Journal.Overlaps}; replies in dead letters: {deadLetters.Count}");
        return s;
    }

    /// <summary>Whether a calling.play.stop for the control id was applied by the server (answered 200, or applied before its connection was dropped).</summary>
    private static bool StopReachedServer(string callId, string controlId, IReadOnlyList<JournalRequest> requests) =>
        requests.Any(r => r.CallId == callId && r.ControlId == controlId && r.Command == "calling.play.stop"
            && (r.Status == 200 || (r.Status == 0 && r.Fault?.Contains("after apply", StringComparison.Ordinal) == true)));

    /// <summary>What happened to one control id, for violation messages: its requests, webhooks and command outcomes.</summary>
    private static string History(string callId, string controlId, IReadOnlyList<JournalRequest> requests, IReadOnlyList<JournalWebhook> webhooks, IReadOnlyCollection<CommandOutcome> outcomes) =>
        "requests: " + Join(requests.Where(r => r.CallId == callId && r.ControlId == controlId).Select(r => $"{r.Command?.Replace("calling.play.", string.Empty, StringComparison.Ordinal)} {r.Status}{(r.Fault is null ? string.Empty : $" ({r.Fault})")}"))
        + "; webhooks: " + Join(webhooks.Where(w => w.CallId == callId && w.ControlId == controlId).Select(w => $"{w.State} {w.Outcome}{(w.Fault is null ? string.Empty : $" ({w.Fault})")}"))
        + "; outcomes: " + Join(outcomes.Where(o => o.CallId == callId && o.ControlId == controlId).Select(o => $"{o.Kind} → {o.Category}"));

    /// <summary>How long after a 429 the same command came back (journal times are answer times, so this includes the next attempt's own latency).</summary>
    private static string RetryAfterGaps(IReadOnlyList<JournalRequest> requests)
    {
        var gaps = new List<double>();
        foreach (var call in requests.Where(r => r.CallId is not null).GroupBy(r => r.CallId))
        {
            var list = call.ToList();
            for (var i = 0; i + 1 < list.Count; i++)
            {
                if (list[i].Status == 429 && list[i + 1].Command == list[i].Command && list[i + 1].ControlId == list[i].ControlId)
                {
                    gaps.Add((list[i + 1].Time - list[i].Time).TotalMilliseconds);
                }
            }
        }

        if (gaps.Count == 0)
        {
            return "none";
        }

        gaps.Sort();
        return $"{gaps.Count} retries, min {gaps[0]:0} ms, median {gaps[gaps.Count / 2]:0} ms, max {gaps[^1]:0} ms";
    }

    private static string FaultKind(JournalRequest r) => r.Fault switch
    {
        null => $"{r.Status}",
        var f when f.Contains("after apply", StringComparison.Ordinal) => "drop after apply",
        var f when f.StartsWith("drop", StringComparison.Ordinal) => "drop",
        var f when f.StartsWith("status 429", StringComparison.Ordinal) => "429",
        var f when f.StartsWith("status", StringComparison.Ordinal) => f.Replace("status ", string.Empty, StringComparison.Ordinal),
        var f => $"{f} → {r.Status}",
    };

    private static string Outcome(string outcome) => outcome.StartsWith("failed", StringComparison.Ordinal) ? "failed (dead url)" : outcome;

    private static double Stamp(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("timestamp").GetDouble();
    }

    private static string Shorten(string reason) =>
        reason.StartsWith("replaced by", StringComparison.Ordinal) ? "replaced by …"
        : reason.StartsWith("call gone", StringComparison.Ordinal) ? "call gone: …"
        : reason.Contains(" for call ", StringComparison.Ordinal) ? reason[..reason.IndexOf(" for call ", StringComparison.Ordinal)] + " for call …"
        : reason.Length > 40 ? reason[..40] + "…" : reason;

    private static void Bump(Dictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;

    private static string Join(IEnumerable<string> parts) => string.Join(", ", parts);
}
