using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Playback.Hosting.Tests;

/// <summary><c>AddPlaybackInstrumentation()</c> with OpenTelemetry's SDK and in-memory exporters, and the host's logger factory in a hosted manager.</summary>
public sealed class InstrumentationTests
{
    private static readonly ActivitySource Caller = new("Playback.Hosting.Tests.Caller");

    [Fact]
    public async Task AddPlaybackInstrumentation_exports_a_hosted_managers_metrics_and_traces_and_its_logs_go_to_the_host()
    {
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddPlaybackInstrumentation().AddInMemoryExporter(metrics).Build();
        using var tracerProvider = Sdk.CreateTracerProviderBuilder().AddSource(Caller.Name).AddPlaybackInstrumentation().AddInMemoryExporter(spans).Build();
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var logs = new CapturingLoggerProvider();
        using var host = await TestSupport.StartPlaybackHostAsync(emulator, logs: logs);
        var manager = host.Services.GetRequiredService<PlaybackManager>();
        var callId = emulator.CreateCall();

        using (var caller = Caller.StartActivity("caller"))
        {
            var handle = await manager.PlayAsync(callId, [Media.Tts("Hello")]);
            await Assert.ThrowsAsync<PlaybackStateException>(() => manager.PauseAsync(callId, "no-such-playback"));
            await handle.StopAsync();
        }

        meterProvider.ForceFlush();
        tracerProvider.ForceFlush();
        await host.StopAsync();

        var commands = metrics.Where(m => m.MeterName == PlaybackDiagnostics.MeterName && m.Name == "playback.commands").ToList();
        Assert.NotEmpty(commands);
        var points = commands.SelectMany(Points).ToList();
        Assert.Contains(points, p => Tags(p)["playback.command"] as string == "pause" && Tags(p)["playback.outcome"] as string == "state_error");
        var root = Assert.Single(spans, s => s.Source.Name == Caller.Name);
        Assert.Equal(["playback.play", "playback.pause", "playback.stop"], spans.Where(s => s.TraceId == root.TraceId && s.Source.Name == PlaybackDiagnostics.ActivitySourceName).Select(s => s.OperationName));
        Assert.Contains(logs.Entries, l => l.Category == "Playback" && l.Message.Contains("pause", StringComparison.Ordinal) && l.Message.Contains("state_error", StringComparison.Ordinal));
    }

    private static IEnumerable<MetricPoint> Points(Metric metric)
    {
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            yield return point;
        }
    }

    private static Dictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        return tags;
    }
}
