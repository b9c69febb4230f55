using System.Diagnostics;
using System.Reflection;

namespace Playback;

/// <summary>
/// The names under which Playback publishes its telemetry: the <see cref="System.Diagnostics.Metrics.Meter"/> and the
/// <see cref="ActivitySource"/> are both called <c>Playback</c> (see the README's Observability section for every
/// instrument, activity and log event). With OpenTelemetry, Playback.Hosting's <c>AddPlaybackInstrumentation()</c> adds both.
/// </summary>
public static class PlaybackDiagnostics
{
    /// <summary>The name of Playback's meter: <c>Playback</c>.</summary>
    public const string MeterName = "Playback";

    /// <summary>The name of Playback's activity source: <c>Playback</c>.</summary>
    public const string ActivitySourceName = "Playback";

    /// <summary>The version of the meter and the activity source (the assembly's version).</summary>
    internal static readonly string Version = typeof(PlaybackDiagnostics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The one activity source of the process (activity sources are filtered by name, never per instance).</summary>
    internal static readonly ActivitySource Source = new(ActivitySourceName, Version);
}
