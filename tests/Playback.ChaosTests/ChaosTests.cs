using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Playback.Emulator;
using Xunit.Abstractions;

// The chaos run measures a machine-wide load; nothing else should run beside it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Playback.ChaosTests;

/// <summary>
/// A seeded, bounded chaos run, once per emulator dialect (<see cref="EmulatorDialect.Reference"/> and
/// <see cref="EmulatorDialect.Independent"/>, which words its errors differently and answers 404 for an unknown or ended
/// control id): <see cref="CallsPerDialect"/> concurrent calls issue random command sequences through Playback
/// (AddPlayback + MapPlaybackWebhooks) against the emulator while it injects 5xx, 429 + Retry-After (seconds and
/// HTTP-date), latency, dropped connections (some after the command was applied) and dropped / duplicated / reordered /
/// delayed / misdirected webhooks, and hangs up random calls mid-sequence. Then every call is wound down (stopped or hung
/// up) and the run is checked against the emulator's journal and truth. Nothing here reads a server error's wording.
/// </summary>
/// <remarks>
/// The checks (each violation is listed in the failure message):
/// <list type="number">
/// <item>THE INVARIANT (<see cref="InvariantCheck"/>), after a settle time, twice: once when the call scripts are done
/// (many playbacks live) and once at the end: Playback's report of every playback agrees with the emulator's state of its
/// control id, and no play runs on the server that Playback does not know.</item>
/// <item>No stall (<see cref="StallDetector"/>): no command waits for its outcome longer than the command deadline plus
/// <see cref="StallSlack"/>. The slowest command is always printed.</item>
/// <item>Every command got exactly one outcome: outcomes == commands issued, none pending after a generous wait, no command
/// answered twice (no second reply to an Ask reaches Akka's dead letters), and every outcome is an expected kind
/// (<see cref="ChaosLedger.Expected"/>): never a TimeoutException (AskTimeout), a shutdown, a cancellation or anything
/// else; and no <see cref="CallGoneException"/> on a call the test did not hang up (the call is alive on the server).</item>
/// <item>No control_id was started twice on the server: per control id, the journal's calling.play attempts are read in
/// order; an attempt "applied" the play when it was answered 200 or its connection was dropped after apply. A 200 after an
/// applied attempt is a second start. Every refusal (the dialect's conflict status) of a play must follow an applied
/// attempt. Independently, per control id no webhook may have been generated (body timestamp) after the play's first
/// terminal webhook (finished/error are final on the server; only a new start would emit more).</item>
/// <item>Never two requests in flight for one call: <c>Journal.Overlaps == 0</c>.</item>
/// <item>Every playback reached a terminal state: every handle's Completion completed with Finished, Stopped or
/// Failed.</item>
/// <item>The handle's terminal state agrees with the emulator's truth. "Delivered" means the webhook reached the
/// endpoint and got a 2xx. "Stop requested" means the test stopped that control id, or issued a Replace play on its call
/// after it. "Hung up" means the test hung the call up (mid-sequence or at wind-down).
///   <list type="bullet">
///   <item>Finished ⇒ the server's play is <c>finished</c> (Playback says Finished only on the server's word).</item>
///   <item>Stopped ⇒ stop requested.</item>
///   <item>The server never saw the play (queued, then dropped or failed) ⇒ Stopped or Failed.</item>
///   <item>Server <c>finished</c> and its finished webhook delivered ⇒ Finished or Stopped; on a hung-up call also
///   Failed (the ended webhook or a 404 may come first); also Failed when a stop for it reached the server (Playback
///   stops a play whose outcome was unknown before it reports the failure: that stop is what finished it). Judged from
///   the journal, not from the reason's text.</item>
///   <item>Server <c>error</c> and its error webhook delivered ⇒ Failed; or Stopped when a stop was requested (a stop
///   sent after the server's error but before its webhook: the library cannot tell "my stop landed" from "it had just
///   ended").</item>
///   </list></item>
/// </list>
/// Media timing: the emulator runs at <see cref="Speed"/>x. Finite plays last 4–6 s of real time, longer than any chain of
/// retries after an applied-but-dropped attempt (≤ 200 ms backoff or a Retry-After of ≤ 1 s, plus ≤ 300 ms latency, per
/// attempt; the summary prints the observed 429 → retry gaps), so a play cannot end between a landed attempt and its
/// retry. The watchdog (<see cref="StatusTimeout"/>) is longer than any finite play, so it only fails playbacks whose
/// final webhook was lost. The thread pool keeps its default minimum: a stall that only shows with it must show here.
/// </remarks>
public sealed class ChaosTests(ITestOutputHelper output)
{
    private const int Seed = 6_112_026;
    private const int CallsPerDialect = 400;
    private const double Speed = 20;
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CommandPatience = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan CompletionPatience = StatusTimeout + TimeSpan.FromSeconds(20);

    /// <summary>How much longer than the command deadline a command may wait for its outcome before the run counts as stalled.</summary>
    private static readonly TimeSpan StallSlack = TimeSpan.FromSeconds(15);

    /// <summary>How long webhook delivery may take to become quiescent before a check.</summary>
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(10);

    /// <summary>How long a disagreement must last to count (a play that ends while the check runs is not one).</summary>
    private static readonly TimeSpan Persistence = TimeSpan.FromSeconds(2);

    private enum MediaKind
    {
        Ringtone,
        LoopForever,
        Finite,
        ErrorLater,
    }

    [Theory]
    [InlineData("reference")]
    [InlineData("independent")]
    public Task Calls_under_faults_give_one_outcome_per_command_never_stall_and_agree_with_the_server(string dialect) => Task.Run(() => RunAsync(dialect));

    private async Task RunAsync(string dialectName)
    {
        var dialect = EmulatorDialect.FromName(dialectName);
        var clock = Stopwatch.StartNew();
        await using var stack = await ChaosStack.StartAsync(new EmulatorOptions { Speed = Speed, Seed = Seed, Dialect = dialect }, s => s with
        {
            RequestTimeout = TimeSpan.FromSeconds(10),
            AskTimeout = TimeSpan.FromSeconds(60),
            StatusTimeout = StatusTimeout,
            Resilience = new ResilienceSettings
            {
                MaxRetries = 6,
                BaseDelay = TimeSpan.FromMilliseconds(20),
                MaxDelay = TimeSpan.FromMilliseconds(200),
                CommandDeadline = CommandDeadline,
                // Random faults at these rates (~15 % of attempts fail) never reach the 50 % ratio; the high minimum
                // throughput keeps a burst of early failures from opening it by chance. Breaker-open failures would still
                // be counted as a valid outcome.
                BreakerMinimumThroughput = 500,
            },
        });
        var emulator = stack.Emulator;
        var playback = stack.Playback;
        var deadLetters = new ConcurrentQueue<string>();
        var deadLetterWatcher = stack.System.ActorOf(Props.Create(() => new ReplyDeadLetterWatcher(deadLetters)));
        stack.System.EventStream.Subscribe(deadLetterWatcher, typeof(DeadLetter));

        // The HTTP-date form of Retry-After is absolute: the plan is re-set every 500 ms so that it stays ~1 s ahead.
        long injectedBeforeRefresh = 0;
        var refreshes = 0;
        emulator.Faults.Set(Plan(0));
        using var stopRefreshing = new CancellationTokenSource();
        var refresher = Task.Run(async () =>
        {
            for (var generation = 1; generation <= 600 && !stopRefreshing.IsCancellationRequested; generation++)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), stopRefreshing.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                Interlocked.Add(ref injectedBeforeRefresh, emulator.Faults.Injected);
                emulator.Faults.Set(Plan(generation));
                Interlocked.Increment(ref refreshes);
            }
        });

        var ledger = new ChaosLedger();
        using var events = new PlaybackEventLog(playback);
        using var stalls = new StallDetector(ledger, emulator.Journal, CommandDeadline + StallSlack, $"dialect {dialectName}", ChaosReport.Path);
        var calls = Enumerable.Range(0, CallsPerDialect).Select(i => new CallScript(i, stack.NewCall(), new Random(unchecked((Seed * 1_000_003) + i)))).ToArray();
        var startup = clock.Elapsed;

        // Phase 1: every call runs its random sequence, all at once.
        var hung = new List<string>();
        var scripts = calls.Select(c => Task.Run(() => RunScriptAsync(c, playback, emulator, ledger))).ToArray();
        await WaitBoundedAsync(scripts, "call scripts", hung, stalls.Stalled);
        var chaosPhase = clock.Elapsed - startup;
        if (stalls.Fired)
        {
            // Nothing after this can be judged: report the stall at once rather than wait minutes for the timeouts.
            await stopRefreshing.CancelAsync();
            await refresher;
            ReportStall(dialectName, stalls, ledger, clock.Elapsed);
        }

        // Checkpoint: with many playbacks still live, Playback and the server must agree once webhooks have settled.
        var midSettle = await InvariantCheck.SettleAsync(emulator, events, SettleLimit);
        var midRun = await InvariantCheck.CheckAsync(Records(calls), emulator, playback, events, stack.WebhookUrl, Persistence, SettleLimit);

        // Phase 2: wind down. Calls still up are hung up (30 %) or have every unfinished playback stopped; hung-up calls
        // get a stop for each unfinished playback too, so that a lost "ended" webhook cannot leave one running (the stop
        // gets 404 and ends them all).
        var windDown = calls.Select(c => Task.Run(() => WindDownAsync(c, emulator, ledger))).ToArray();
        await WaitBoundedAsync(windDown, "wind-down tasks", hung, stalls.Stalled);

        // Phase 3: every handle must reach a terminal state; the watchdog covers finite plays whose final webhook was lost.
        var handles = calls.SelectMany(c => c.Handles.Values).ToList();
        try
        {
            await Task.WhenAny(Task.WhenAll(handles.Select(h => h.Completion)), stalls.Stalled).WaitAsync(CompletionPatience);
        }
        catch (Exception)
        {
            // Reported below, handle by handle.
        }

        // Every command issued must have completed (the ledger's tasks never throw).
        var issued = ledger.Issued;
        try
        {
            await Task.WhenAny(Task.WhenAll(issued.Select(i => i.Task)), stalls.Stalled).WaitAsync(CommandPatience);
        }
        catch (TimeoutException)
        {
            // Reported below.
        }

        await stopRefreshing.CancelAsync();
        await refresher;
        if (stalls.Fired)
        {
            ReportStall(dialectName, stalls, ledger, clock.Elapsed);
        }

        // The end: everything wound down; after the settle time, Playback and the server must agree on every playback.
        var endSettle = await InvariantCheck.SettleAsync(emulator, events, SettleLimit);
        var atEnd = await InvariantCheck.CheckAsync(Records(calls), emulator, playback, events, stack.WebhookUrl, Persistence, SettleLimit);
        var elapsed = clock.Elapsed;

        var violations = new List<string>(hung);
        violations.AddRange(midRun.Select(v => $"{v} [after the call scripts]"));
        violations.AddRange(atEnd.Select(v => $"{v} [at the end]"));
        var summary = Analyse(stack, dialectName, calls, ledger, issued, handles, deadLetters, injectedBeforeRefresh + emulator.Faults.Injected, refreshes, violations);
        summary.AppendLine(CultureInfo.InvariantCulture, $"invariant: {midRun.Count} disagreements after the call scripts (settled in {Settled(midSettle)}), {atEnd.Count} at the end (settled in {Settled(endSettle)})");
        summary.AppendLine(CultureInfo.InvariantCulture, $"elapsed: {elapsed.TotalSeconds:0.0} s (startup {startup.TotalSeconds:0.0} s, chaos phase {chaosPhase.TotalSeconds:0.0} s)");
        var slowestLine = Slowest(dialectName, stalls, ledger, summary);
        summary.AppendLine(StallDetector.ThreadPoolStatistics());
        summary.AppendLine(CultureInfo.InvariantCulture, $"violations: {violations.Count}");
        summary.Append("=== end of chaos summary ===");
        Print(summary.ToString());
        Print(slowestLine);
        ChaosReport.Append(ChaosReport.Path, slowestLine);
        foreach (var violation in violations.Take(60))
        {
            Print(violation.StartsWith("INVARIANT", StringComparison.Ordinal) ? violation : "VIOLATION " + violation);
        }

        Assert.True(violations.Count == 0, $"{violations.Count} chaos violation(s) (dialect {dialectName}, seed {Seed}); first: {string.Join(" | ", violations.Take(10))}");
    }

    /// <summary>Prints the stall report, the slowest command and the counts so far, and fails the run.</summary>
    private void ReportStall(string dialectName, StallDetector stalls, ChaosLedger ledger, TimeSpan elapsed)
    {
        var summary = new StringBuilder();
        var issued = ledger.Issued;
        summary.AppendLine(CultureInfo.InvariantCulture, $"=== chaos run stalled (dialect {dialectName}, seed {Seed}) after {elapsed.TotalSeconds:0.0} s: {issued.Count} commands issued, {issued.Count(c => c.Replied)} replied ===");
        var slowestLine = Slowest(dialectName, stalls, ledger, summary);
        summary.Append(StallDetector.ThreadPoolStatistics());
        Print(stalls.Report!.TrimEnd());
        Print(summary.ToString());
        Print(slowestLine);
        ChaosReport.Append(ChaosReport.Path, slowestLine);
        Assert.Fail(stalls.Report![..stalls.Report.IndexOf('\n', StringComparison.Ordinal)]);
    }

    /// <summary>Adds the slowest command's details to the summary; returns the <c>slowest command: S s</c> line.</summary>
    private static string Slowest(string dialectName, StallDetector stalls, ChaosLedger ledger, StringBuilder summary)
    {
        var slowest = stalls.Slowest();
        summary.AppendLine(CultureInfo.InvariantCulture, $"slowest command ({dialectName}): {slowest?.Command.ToString() ?? "none"}, {OutcomeOf(slowest?.Command, ledger)}");
        return string.Create(CultureInfo.InvariantCulture, $"slowest command: {slowest?.Waited.TotalSeconds ?? 0:0.000} s");
    }

    private void Print(string text)
    {
        output.WriteLine(text);
        Console.WriteLine(text);
    }

    private static string Settled((TimeSpan Took, bool Quiescent) settle) =>
        string.Create(CultureInfo.InvariantCulture, $"{settle.Took.TotalSeconds:0.0} s{(settle.Quiescent ? string.Empty : ", NOT quiescent")}");

    private static string OutcomeOf(TrackedCommand? command, ChaosLedger ledger) =>
        command is null ? "-" : ledger.Outcomes.FirstOrDefault(o => o.Id == command.Id)?.Category ?? "no outcome yet";

    /// <summary>What the invariant check needs to know about each call.</summary>
    private static List<CallRecord> Records(CallScript[] calls) =>
        calls.Select(c => new CallRecord(c.Id, c.ControlIds.ToList(), new Dictionary<string, PlaybackHandle>(c.Handles, StringComparer.Ordinal), new Dictionary<string, string>(c.PlayFailures, StringComparer.Ordinal))).ToList();

    /// <summary>Waits for the test's own tasks; one that does not finish (or throws) becomes a violation, so the summary still prints.</summary>
    private static async Task WaitBoundedAsync(Task[] tasks, string what, List<string> problems, Task stalled)
    {
        try
        {
            var all = Task.WhenAll(tasks);
            if (await Task.WhenAny(all, stalled).WaitAsync(CommandPatience * 2) == stalled)
            {
                return;
            }

            await all;
        }
        catch (Exception)
        {
            var stuck = tasks.Count(t => !t.IsCompleted);
            var faulted = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.GetBaseException()).FirstOrDefault();
            problems.Add($"{what}: {stuck} did not finish within {(CommandPatience * 2).TotalSeconds:0} s; {tasks.Count(t => t.IsFaulted)} threw{(faulted is null ? string.Empty : ": " + faulted)}");
        }
    }

    private static FaultPlan Plan(int generation) => new()
    {
        Seed = Seed + generation,
        Commands =
        [
            new CommandFaultRule { Status = 500, Probability = 0.02 },
            new CommandFaultRule { Status = 502, Probability = 0.02 },
            new CommandFaultRule { Status = 503, Probability = 0.02 },
            new CommandFaultRule { Status = 429, RetryAfterSeconds = 1, Probability = 0.02 },
            new CommandFaultRule { Status = 429, RetryAfterDate = DateTimeOffset.UtcNow.AddSeconds(1), Probability = 0.02 },
            new CommandFaultRule { DropConnection = true, Probability = 0.03 },
            new CommandFaultRule { DropConnection = true, AfterApply = true, Probability = 0.03 },
            new CommandFaultRule { LatencyMs = 300, Probability = 0.03 },
            new CommandFaultRule { LatencyMs = 100, Probability = 0.05 },
        ],
        Webhooks =
        [
            new WebhookFaultRule { Kind = WebhookFaultKind.Drop, Probability = 0.05 },
            new WebhookFaultRule { Kind = WebhookFaultKind.Duplicate, Probability = 0.05 },
            new WebhookFaultRule { Kind = WebhookFaultKind.Reorder, DelayMs = 400, Probability = 0.05 },
            new WebhookFaultRule { Kind = WebhookFaultKind.Delay, DelayMs = 250, Probability = 0.05 },
            new WebhookFaultRule { Kind = WebhookFaultKind.DeadUrl, Probability = 0.02 },
        ],
    };

    private static async Task RunScriptAsync(CallScript call, PlaybackManager playback, CallingEmulator emulator, ChaosLedger ledger)
    {
        var rng = call.Random;
        var length = rng.Next(3, 9);
        var hangUpAt = rng.NextDouble() < 0.12 ? rng.Next(1, length) : -1;
        var unawaited = new List<Task>();
        for (var step = 0; step < length; step++)
        {
            if (step == hangUpAt)
            {
                call.HangUp(emulator, midSequence: true);
            }

            var roll = step == 0 ? 0 : rng.NextDouble();
            Task command = roll switch
            {
                < 0.25 => PlayAsync(call, playback, ledger),
                < 0.45 => Control(call, "pause", ledger, id => playback.PauseAsync(call.Id, id)),
                < 0.65 => Control(call, "resume", ledger, id => playback.ResumeAsync(call.Id, id)),
                < 0.80 => Control(call, "volume", ledger, id => playback.SetVolumeAsync(call.Id, id, rng.Next(-20, 11))),
                _ => Control(call, "stop", ledger, id =>
                {
                    call.StopRequested.TryAdd(id, true);
                    return playback.StopAsync(call.Id, id);
                }),
            };

            // A quarter of the commands are not awaited before the next one is issued: they queue in the call's actor.
            if (rng.NextDouble() < 0.25)
            {
                unawaited.Add(command);
            }
            else
            {
                await command;
            }

            if (rng.NextDouble() < 0.3)
            {
                await Task.Delay(rng.Next(5, 150));
            }
        }

        await Task.WhenAll(unawaited);
    }

    private static async Task PlayAsync(CallScript call, PlaybackManager playback, ChaosLedger ledger)
    {
        var rng = call.Random;
        var controlId = $"chaos-{call.Index:D3}-{call.ControlIds.Count}";
        var kindRoll = rng.NextDouble();
        var seconds = rng.Next(80, 121);
        var (kind, media, loop) = kindRoll switch
        {
            < 0.35 => (MediaKind.Ringtone, new MediaItem[] { Media.Ringtone("us") }, (int?)null),
            < 0.50 => (MediaKind.LoopForever, [Media.Tts("Please hold, your call is important to us."), Media.Silence(2)], 0),
            < 0.85 => (MediaKind.Finite, [Media.Tts("Thanks for waiting."), Media.Silence(seconds)], null),
            _ => (MediaKind.ErrorLater, [Media.Silence(seconds), Media.Audio("https://media.invalid/broken.mp3")], null),
        };
        var replace = rng.NextDouble() < 0.3;
        var volume = rng.NextDouble() < 0.2 ? rng.Next(-10, 6) : (double?)null;
        call.ControlIds.Add(controlId);
        call.Kinds[controlId] = kind;
        if (replace)
        {
            call.ReplacedBefore[controlId] = call.ControlIds.Count - 1;
        }

        var options = new PlayOptions { ControlId = controlId, Loop = loop, Volume = volume, WhenBusy = replace ? PlayConflict.Replace : PlayConflict.Enqueue };
        var handle = await ledger.Run(replace ? "play (replace)" : "play (enqueue)", "calling.play", call.Id, controlId, async () =>
        {
            try
            {
                return await playback.PlayAsync(call.Id, media, options);
            }
            catch (Exception e)
            {
                // What the application was told: this play failed.
                call.PlayFailures[controlId] = ChaosLedger.Classify(e);
                throw;
            }
        });
        if (handle is not null)
        {
            call.Handles[controlId] = handle;
        }
    }

    private static Task Control(CallScript call, string kind, ChaosLedger ledger, Func<string, Task<PlaybackSnapshot>> command)
    {
        var rng = call.Random;
        var ids = call.ControlIds;
        var target = rng.NextDouble() < 0.7 ? ids[^1] : ids[rng.Next(ids.Count)];
        return ledger.Run(kind, "calling.play." + kind, call.Id, target, () => command(target));
    }

    private static async Task WindDownAsync(CallScript call, CallingEmulator emulator, ChaosLedger ledger)
    {
        if (!call.IsHungUp && call.Random.NextDouble() < 0.3)
        {
            call.HangUp(emulator, midSequence: false);
        }

        // Newest first, so that stopping the current playback does not start a queued one only to stop it next.
        for (var i = call.ControlIds.Count - 1; i >= 0; i--)
        {
            var id = call.ControlIds[i];
            if (call.Handles.TryGetValue(id, out var handle) && !handle.Completion.IsCompleted)
            {
                call.StopRequested.TryAdd(id, true);
                await ledger.Run("stop (wind-down)", "calling.play.stop", call.Id, id, () => handle.StopAsync());
            }
        }
    }

    private StringBuilder Analyse(
        ChaosStack stack,
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

    /// <summary>One call's script and what it did. ControlIds and Random are only touched by the call's own task.</summary>
    private sealed class CallScript(int index, string id, Random random)
    {
        private int _hungUp;

        public int Index { get; } = index;

        public string Id { get; } = id;

        public Random Random { get; } = random;

        public List<string> ControlIds { get; } = [];

        public ConcurrentDictionary<string, MediaKind> Kinds { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, PlaybackHandle> Handles { get; } = new(StringComparer.Ordinal);

        /// <summary>Control id → how PlayAsync failed, for the plays that threw.</summary>
        public ConcurrentDictionary<string, string> PlayFailures { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, bool> StopRequested { get; } = new(StringComparer.Ordinal);

        /// <summary>Replace plays: control id → its index in <see cref="ControlIds"/>.</summary>
        public ConcurrentDictionary<string, int> ReplacedBefore { get; } = new(StringComparer.Ordinal);

        public bool IsHungUp => Volatile.Read(ref _hungUp) == 1;

        public bool HungUpMidSequence { get; private set; }

        public void HangUp(CallingEmulator emulator, bool midSequence)
        {
            if (Interlocked.Exchange(ref _hungUp, 1) == 0)
            {
                HungUpMidSequence = midSequence;
                emulator.EndCall(Id);
            }
        }
    }

    /// <summary>Collects command replies that reached Akka's dead letters: a command answered twice, or after its Ask ended.</summary>
    private sealed class ReplyDeadLetterWatcher : ReceiveActor
    {
        public ReplyDeadLetterWatcher(ConcurrentQueue<string> sink)
        {
            Receive<DeadLetter>(d =>
            {
                if (d.Message.GetType().Name is "CommandSucceeded" or "CommandFailed")
                {
                    sink.Enqueue(d.Message.ToString() ?? d.Message.GetType().Name);
                }
            });
        }
    }
}
