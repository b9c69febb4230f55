using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Playback.Hosting;

/// <summary>OpenTelemetry wiring: Playback's meter and activity source, by name, in one line each.</summary>
public static class PlaybackInstrumentationExtensions
{
    /// <summary>Collects Playback's metrics (the <c>Playback</c> meter: commands, API requests, retries, breaker, webhooks, active playbacks and calls).</summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static MeterProviderBuilder AddPlaybackInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(PlaybackDiagnostics.MeterName);
    }

    /// <summary>Collects Playback's traces (the <c>Playback</c> activity source: one activity per command and per webhook).</summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static TracerProviderBuilder AddPlaybackInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(PlaybackDiagnostics.ActivitySourceName);
    }
}
