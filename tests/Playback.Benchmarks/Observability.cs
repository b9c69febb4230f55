using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Akka.Actor;

namespace Playback.Benchmarks;

/// <summary>
/// The cost of observability on the command path: the p50 of a command (set volume, over loopback HTTP to the bare server)
/// with nothing listening vs with a <see cref="MeterListener"/> on every Playback instrument and an
/// <see cref="ActivityListener"/> recording every Playback activity (and each alone). Blocks alternate so that all four see
/// the same machine state.
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
        for (var block = 0; block < samples; block += 100)
        {
            await MeasureAsync(manager, handle, volumes, block, without);
            using (Listen(() => Interlocked.Increment(ref measurements)))
            {
                await MeasureAsync(manager, handle, volumes, block, metersOnly);
            }

            using (Record(() => Interlocked.Increment(ref activities)))
            {
                await MeasureAsync(manager, handle, volumes, block, tracesOnly);
            }

            using var meters = Listen(() => Interlocked.Increment(ref measurements));
            using var traces = Record(() => Interlocked.Increment(ref activities));
            await MeasureAsync(manager, handle, volumes, block, with);
        }


        var off = Latency.Of(without);
        var on = Latency.Of(with);
        var overhead = (on.P50 - off.P50) / off.P50 * 100;
        report.Note(string.Create(CultureInfo.InvariantCulture,
            $"observability overhead p50: {overhead:0.0} % (command p50 {off.P50:0} µs without listeners, {on.P50:0} µs with a MeterListener and an ActivityListener on Playback; metrics alone {Latency.Of(metersOnly).P50:0} µs, traces alone {Latency.Of(tracesOnly).P50:0} µs; p99 {off.P99:0} / {on.P99:0} µs; {measurements:N0} measurements, {activities:N0} activities recorded)"));
    }

    private static async Task MeasureAsync(PlaybackManager manager, PlaybackHandle handle, double[] volumes, int block, List<double> samples)
    {
        for (var i = block; i < block + 100 && i < volumes.Length; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await manager.SetVolumeAsync(handle.CallId, handle.ControlId, volumes[i]);
            samples.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
        }
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
    private static ActivityListener Record(Action stopped)
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
