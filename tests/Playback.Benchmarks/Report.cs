using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Playback.Benchmarks;

/// <summary>Collects the results and writes them as one Markdown document.</summary>
internal sealed class Report
{
    private readonly StringBuilder _latency = new();
    private readonly StringBuilder _throughput = new();
    private readonly StringBuilder _pool = new();
    private readonly StringBuilder _ingestion = new();
    private readonly StringBuilder _memory = new();
    private readonly List<string> _notes = [];

    public string Micro { get; set; } = string.Empty;

    public void Latency(string server, Latency raw, Latency actor)
    {
        _latency.AppendLine(Invariant($"| {server} | {raw.P50:0} | {actor.P50:0} | **{actor.P50 / raw.P50:0.00}** | {raw.P99:0} | {actor.P99:0} | **{actor.P99 / raw.P99:0.00}** |"));
        Console.WriteLine(Invariant($"p50 latency ratio: {actor.P50 / raw.P50:0.00}   ({server}: raw {raw.P50:0} µs, actor path {actor.P50:0} µs; p99 {raw.P99:0} / {actor.P99:0} µs)"));
    }

    public void Throughput(int calls, int pool, double raw, double actor)
    {
        _throughput.AppendLine(Invariant($"| {calls:N0} | {pool} | {raw:N0} | {actor:N0} | **{actor / raw:0.00}** |"));
        Console.WriteLine(Invariant($"throughput {calls:N0} calls: raw {raw:N0}/s, actor path {actor:N0}/s, ratio {actor / raw:0.00}"));
    }

    public void Pool(int pool, double raw, double actor)
    {
        _pool.AppendLine(Invariant($"| {pool} | {raw:N0} | {actor:N0} | {actor / raw:0.00} |"));
        Console.WriteLine(Invariant($"pool {pool}: raw {raw:N0}/s, actor path {actor:N0}/s"));
    }

    public void Ingestion(string what, double perSecond, string detail)
    {
        _ingestion.AppendLine(Invariant($"| {what} | {perSecond:N0} | {detail} |"));
        Console.WriteLine(Invariant($"ingestion {what}: {perSecond:N0}/s ({detail})"));
    }

    public void Memory(int calls, double activeBytes, double idleBytes, double passivatedBytes, long activeTotal)
    {
        _memory.AppendLine(Invariant($"| call actor with one active playback (incl. its Rx tracker) | {activeBytes:N0} B | {activeTotal / 1024.0 / 1024.0:N1} MB for {calls:N0} calls |"));
        _memory.AppendLine(Invariant($"| idle call actor (playback ended, not yet passivated) | {idleBytes:N0} B | |"));
        _memory.AppendLine(Invariant($"| after passivation (idle timeout 3 s) | {passivatedBytes:N0} B | what remains per call |"));
        Console.WriteLine(Invariant($"memory: {activeBytes:N0} B per active call, {idleBytes:N0} B per idle actor, {passivatedBytes:N0} B after passivation ({calls:N0} calls)"));
    }

    public void Note(string note)
    {
        _notes.Add(note);
        Console.WriteLine(note);
    }

    public string ToMarkdown(bool quick, TimeSpan elapsed)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Invariant($"Measured {DateTime.UtcNow:yyyy-MM-dd} on {Machine()} ({(quick ? "--quick" : "full")} run, {elapsed.TotalSeconds:0} s). Raw = Flurl POSTs of the same bodies; actor path = `PlaybackManager` commands through the call actors and the resilience pipeline; same process, same loopback server."));
        sb.AppendLine();
        sb.AppendLine("**Latency, one call, sequential commands (µs)**");
        sb.AppendLine();
        sb.AppendLine("| server | raw p50 | actor p50 | p50 ratio | raw p99 | actor p99 | p99 ratio |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        sb.Append(_latency);
        sb.AppendLine();
        sb.AppendLine("**Throughput, bare Kestrel endpoint (commands/s; rate limiter off so that the client is what is measured)**");
        sb.AppendLine();
        sb.AppendLine("| concurrent calls | pool | raw | actor path | ratio |");
        sb.AppendLine("|---:|---:|---:|---:|---:|");
        sb.Append(_throughput);
        sb.AppendLine();
        sb.AppendLine("**Connection pool size, 1,000 concurrent calls (commands/s)**");
        sb.AppendLine();
        sb.AppendLine("| MaxConnections | raw | actor path | ratio |");
        sb.AppendLine("|---:|---:|---:|---:|");
        sb.Append(_pool);
        sb.AppendLine();
        sb.AppendLine("**Webhook ingestion (events/s)**");
        sb.AppendLine();
        sb.AppendLine("| path | events/s | detail |");
        sb.AppendLine("|---|---:|---|");
        sb.Append(_ingestion);
        sb.AppendLine();
        sb.AppendLine("**Memory (GC heap after forced collections, per call)**");
        sb.AppendLine();
        sb.AppendLine("| what | per call | total |");
        sb.AppendLine("|---|---:|---|");
        sb.Append(_memory);
        sb.AppendLine();
        sb.AppendLine("**Micro benchmarks (BenchmarkDotNet)**");
        sb.AppendLine();
        sb.AppendLine(Micro);
        foreach (var note in _notes)
        {
            sb.AppendLine();
            sb.AppendLine(note);
        }

        return sb.ToString();
    }

    private static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }

        return $"{Environment.ProcessorCount} cores ({cpu}), {RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.FrameworkDescription}";
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
