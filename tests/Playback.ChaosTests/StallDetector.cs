using System.Diagnostics;
using System.Globalization;
using System.Text;
using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>
/// Watches every command of a chaos run from a dedicated thread (a starved thread pool cannot silence it). When a command
/// has waited longer than <c>limit</c> for its outcome, it fires once: it captures the thread pool's statistics at that
/// moment and the commands in flight, grouped by how far they got (issued → seen by the emulator → answered by the
/// emulator → replied to the caller), and writes the <c>STALL</c> line to the chaos report at once (a run killed later
/// still counts).
/// </summary>
public sealed class StallDetector : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);
    private readonly ChaosLedger _ledger;
    private readonly EmulatorJournal _journal;
    private readonly TimeSpan _limit;
    private readonly string _label;
    private readonly string? _reportPath;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _report;

    /// <param name="reportPath">The file the <c>STALL</c> line is appended to (<see cref="ChaosReport.Path"/> in a chaos run), or null.</param>
    public StallDetector(ChaosLedger ledger, EmulatorJournal journal, TimeSpan limit, string label, string? reportPath)
    {
        _ledger = ledger;
        _journal = journal;
        _limit = limit;
        _label = label;
        _reportPath = reportPath;
        _thread = new Thread(Watch) { IsBackground = true, Name = "chaos stall detector" };
        _thread.Start();
    }

    /// <summary>Whether a command waited longer than the limit.</summary>
    public bool Fired => _report is not null;

    /// <summary>Completes when the detector fires, so that a run can stop waiting for what will not come.</summary>
    public Task Stalled => _stalled.Task;

    /// <summary>The report (the <c>STALL</c> line first, then the details), when fired.</summary>
    public string? Report => _report;

    /// <summary>The command that waited longest so far (in flight ones count with their wait until now), or null before any.</summary>
    public (TrackedCommand Command, TimeSpan Waited)? Slowest()
    {
        var now = Stopwatch.GetTimestamp();
        return _ledger.Issued.Select(c => (Command: c, Waited: c.Waited(now))).OrderByDescending(x => x.Waited).Select(x => ((TrackedCommand, TimeSpan)?)x).FirstOrDefault();
    }

    /// <summary>Thread-pool statistics, on one line.</summary>
    public static string ThreadPoolStatistics()
    {
        ThreadPool.GetAvailableThreads(out var workers, out var io);
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        ThreadPool.GetMaxThreads(out var maxWorkers, out var maxIo);
        return string.Create(CultureInfo.InvariantCulture, $"thread pool: threads {ThreadPool.ThreadCount}, pending work items {ThreadPool.PendingWorkItemCount}, completed work items {ThreadPool.CompletedWorkItemCount}, available workers {workers} / io {io}, min workers {minWorkers} / io {minIo}, max workers {maxWorkers} / io {maxIo}");
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Watch()
    {
        while (!_stop.Wait(Tick))
        {
            var now = Stopwatch.GetTimestamp();
            var inFlight = _ledger.Issued.Where(c => !c.Replied).ToList();
            var oldest = inFlight.Select(c => (Command: c, Waited: c.Waited(now))).OrderByDescending(x => x.Waited).FirstOrDefault();
            if (oldest.Command is not null && oldest.Waited > _limit)
            {
                // The pool's numbers first: they are what the stall looks like at this moment.
                var pool = ThreadPoolStatistics();
                // Written to the report file before it is published: whoever sees Fired finds the line in the file.
                var report = Describe(oldest.Command, oldest.Waited, inFlight, now, pool);
                ChaosReport.Append(_reportPath, report[..report.IndexOf('\n', StringComparison.Ordinal)]);
                _report = report;
                _stalled.TrySetResult();
                return;
            }
        }
    }

    private string Describe(TrackedCommand oldest, TimeSpan waited, List<TrackedCommand> inFlight, long now, string pool)
    {
        var arrivals = _journal.Arrivals.ToLookup(a => (a.CallId, a.Command, a.ControlId), a => a.Time);
        var answers = _journal.Requests.ToLookup(r => (r.CallId, r.Command, r.ControlId), r => r.Time);
        string StageOf(TrackedCommand c)
        {
            var key = ((string?)c.CallId, (string?)c.WireCommand, (string?)c.ControlId);
            var arrived = arrivals[key].Where(t => t >= c.IssuedAt).Order().FirstOrDefault();
            if (arrived == default)
            {
                return "issued (not seen by the emulator)";
            }

            return answers[key].Any(t => t >= arrived) ? "answered by the emulator (no reply from Playback yet)" : "seen by the emulator (being answered)";
        }

        var stages = inFlight.GroupBy(StageOf).OrderByDescending(g => g.Count()).ToList();
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"STALL {_label}: command {oldest} waited {waited.TotalSeconds:0.000} s for its outcome (limit {_limit.TotalSeconds:0} s); ");
        s.Append(CultureInfo.InvariantCulture, $"in flight {inFlight.Count} ({string.Join(", ", stages.Select(g => $"{g.Key} {g.Count()}"))}); {pool}");
        s.Append('\n');
        foreach (var stage in stages)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"  {stage.Key}: {stage.Count()}");
            foreach (var c in stage.OrderByDescending(c => c.Waited(now)).Take(10))
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"    {c} ({c.WireCommand}) waiting {c.Waited(now).TotalSeconds:0.000} s");
            }
        }

        return s.ToString();
    }
}

/// <summary>The lines a script reads (<c>slowest command: …</c>, <c>STALL …</c>): appended to the file named by <c>PLAYBACK_CHAOS_REPORT</c>, when set.</summary>
public static class ChaosReport
{
    private static readonly object Gate = new();

    /// <summary>The value of <c>PLAYBACK_CHAOS_REPORT</c>, or null when it is not set.</summary>
    public static string? Path => Environment.GetEnvironmentVariable("PLAYBACK_CHAOS_REPORT") is { Length: > 0 } path ? path : null;

    /// <summary>Appends one line (line breaks become spaces) to the file, when there is one.</summary>
    public static void Append(string? path, string line)
    {
        if (path is null)
        {
            return;
        }

        lock (Gate)
        {
            File.AppendAllText(path, line.ReplaceLineEndings(" ") + "\n");
        }
    }
}
