using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Akka.Actor;

namespace Playback.Benchmarks;

/// <summary>
/// The cost of observability on the command path: the p50 of a command (set volume, over loopback HTTP to the bare server)
/// with nothing listening vs with a <see cref="MeterListener"/> on every Playback instrument and an
/// <see cref="ActivityListener"/> recording every Playback activity (and each alone). Blocks of 100 commands alternate,
/// in ABBA order (the order flips every cycle), so that all four see the same machine state; the overhead is the median,
/// over the cycles, of each cycle's p50 with both listeners against its p50 without: paired blocks cancel the load that
/// other processes put on the shared machine, which moves a pooled p50 by more than the few percent measured.
/// </summary>
internal static class Observability
{
    public static async Task RunAsync(ActorSystem system, PlaybackSettings settings, int samples, Report report)
    {
        await using var manager = PlaybackManager.Create(system, settings);
        const string callId = "call-observability";
        var handle = await manager.PlayAsync(callId, [Media.Ringtone("us")]);
        var volumes = Enumerable.Range(0, samples).Select(i => (double)(i % 80) - 40).ToArray();
        for (var i = 0; i < 300; i++)
        {
            await manager.SetVolumeAsync(callId, handle.ControlId, volumes[i]);
        }

        var without = new List<double>(samples);
        var with = new List<double>(samples);
        var metersOnly = new List<double>(samples);
        var tracesOnly = new List<double>(samples);
        long measurements = 0, activities = 0;
        var pairs = new List<double>();
        var meterPairs = new List<double>();
        var tracePairs = new List<double>();
        for (var block = 0; block < samples; block += 100)
        {
            var steps = new Func<Task<double>>[]
            {
                () => MeasureAsync(manager, handle, volumes, block, without),
                async () =>
                {
                    using var meters = Listen(() => Interlocked.Increment(ref measurements));
                    return await MeasureAsync(manager, handle, volumes, block, metersOnly);
                },
                async () =>
                {
                    using var traces = Record(() => Interlocked.Increment(ref activities));
                    return await MeasureAsync(manager, handle, volumes, block, tracesOnly);
                },
                async () =>
                {
                    using var meters = Listen(() => Interlocked.Increment(ref measurements));
                    using var traces = Record(() => Interlocked.Increment(ref activities));
                    return await MeasureAsync(manager, handle, volumes, block, with);
                },
            };
            var p50 = new double[steps.Length];
            var order = block / 100 % 2 == 0 ? [0, 1, 2, 3] : new[] { 3, 2, 1, 0 };
            foreach (var step in order)
            {
                p50[step] = await steps[step]();
            }

            pairs.Add(p50[3] / p50[0]);
            meterPairs.Add(p50[1] / p50[0]);
            tracePairs.Add(p50[2] / p50[0]);
        }

        var off = Latency.Of(without);
        var on = Latency.Of(with);
        var overhead = (Latency.Median(pairs) - 1) * 100;
        var sorted = pairs.Order().ToList();
        var (q1, q3) = ((sorted[sorted.Count / 4] - 1) * 100, (sorted[sorted.Count * 3 / 4] - 1) * 100);
        report.Note(string.Create(CultureInfo.InvariantCulture,
            $"observability overhead p50: {overhead:0.0} % (median over {pairs.Count} paired blocks, their middle half {q1:0.0} to {q3:0.0} %; metrics alone {(Latency.Median(meterPairs) - 1) * 100:0.0} %, traces alone {(Latency.Median(tracePairs) - 1) * 100:0.0} %; pooled command p50 {off.P50:0} µs without listeners, {on.P50:0} µs with a MeterListener and an ActivityListener on Playback, metrics alone {Latency.Of(metersOnly).P50:0} µs, traces alone {Latency.Of(tracesOnly).P50:0} µs; p99 {off.P99:0} / {on.P99:0} µs; {measurements:N0} measurements, {activities:N0} activities recorded)"));
    }

    /// <summary>Runs one block of commands, adds each latency to <paramref name="samples"/>, and returns the block's p50.</summary>
    private static async Task<double> MeasureAsync(PlaybackManager manager, PlaybackHandle handle, double[] volumes, int block, List<double> samples)
    {
        var own = new List<double>(100);
        for (var i = block; i < block + 100 && i < volumes.Length; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await manager.SetVolumeAsync(handle.CallId, handle.ControlId, volumes[i]);
            own.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
        }

        samples.AddRange(own);
        return Latency.Of(own).P50;
    }

    /// <summary>A listener on every instrument of the Playback meter that does what an exporter's aggregation does at least: takes each measurement.</summary>
    private static MeterListener Listen(Action measured)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == PlaybackDiagnostics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => measured());
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => measured());
        listener.Start();
        return listener;
    }

    /// <summary>Samples and records every Playback activity (all tags), as a tracer with an always-on sampler does.</summary>
    internal static ActivityListener Record(Action stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PlaybackDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => stopped(),
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
