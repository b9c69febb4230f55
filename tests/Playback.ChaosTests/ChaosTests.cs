using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
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
public sealed partial class ChaosTests(ITestOutputHelper output)
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
}
