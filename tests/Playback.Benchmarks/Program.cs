using System.Diagnostics;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Playback.Benchmarks;

// dotnet run -c Release --project tests/Playback.Benchmarks -- --quick   (whole suite, short; writes results/latest.md)
// dotnet run -c Release --project tests/Playback.Benchmarks              (longer runs, more samples)
// --skip-micro, or --only micro|latency|throughput|ingestion|persistence|memory, narrow it down.
var quick = args.Contains("--quick");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
var sw = Stopwatch.StartNew();
var report = new Report();

// BENCH_EXCEPTIONS=1: count every exception thrown (first chance) by second, type and message, printed at the end;
// BENCH_EXCEPTIONS_STACK=<type name> also prints where the first two of that type were thrown (diagnosis).
var thrown = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
if (Environment.GetEnvironmentVariable("BENCH_EXCEPTIONS") == "1")
{
    var traced = 0;
    var stackOf = Environment.GetEnvironmentVariable("BENCH_EXCEPTIONS_STACK");
    AppDomain.CurrentDomain.FirstChanceException += (_, e) =>
    {
        if (e.Exception.GetType().Name == stackOf && Interlocked.Increment(ref traced) <= 2)
        {
            Console.WriteLine($"first chance {e.Exception.Message}\n{Environment.StackTrace}");
        }

        thrown.AddOrUpdate($"{DateTime.UtcNow:HH:mm:ss} {e.Exception.GetType().Name}: {e.Exception.Message[..Math.Min(e.Exception.Message.Length, 160)]}", 1, (_, n) => n + 1);
    };
}

if (!args.Contains("--skip-micro") && only is null or "micro")
{
    var job = (quick ? Job.ShortRun.WithWarmupCount(2).WithIterationCount(5) : Job.Default)
        .WithToolchain(InProcessEmitToolchain.Instance);
    var config = ManualConfig.CreateEmpty()
        .AddJob(job)
        .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
        .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
        .AddLogger(ConsoleLogger.Default)
        .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
    var summaries = BenchmarkRunner.Run([typeof(MicroBenchmarks), typeof(FanOutBenchmarks)], config);
    var writer = new StringWriter();
    var logger = new TextWriterLogger(writer);
    foreach (var summary in summaries)
    {
        MarkdownExporter.GitHub.ExportToLog(summary, logger);
    }

    report.Micro = string.Join('\n', writer.ToString().Split('\n').Where(l => l.StartsWith('|')));
}

if (only is not "micro")
{
    await new EndToEnd(quick, report, only).RunAsync();
}

foreach (var (what, count) in thrown.Where(t => !t.Key.Contains("TaskCanceledException", StringComparison.Ordinal)).OrderBy(t => t.Key).Take(80))
{
    Console.WriteLine($"thrown {count,6} × {what}");
}

var markdown = report.ToMarkdown(quick, sw.Elapsed);
var folder = Path.Combine(AppContext.BaseDirectory, "results");
Directory.CreateDirectory(folder);
var file = Path.Combine(folder, "latest.md");
await File.WriteAllTextAsync(file, markdown);
Console.WriteLine();
Console.WriteLine(markdown);
Console.WriteLine($"written to {file}");

internal sealed class TextWriterLogger(TextWriter writer) : ILogger
{
    public string Id => nameof(TextWriterLogger);

    public int Priority => 0;

    public void Write(LogKind logKind, string text) => writer.Write(text);

    public void WriteLine() => writer.WriteLine();

    public void WriteLine(LogKind logKind, string text) => writer.WriteLine(text);

    public void Flush() => writer.Flush();
}
