using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Playback.Testing;

/// <summary>One measurement of one instrument, with its tags (compiled into the test projects that observe telemetry, linked from <c>tests/Shared</c>).</summary>
internal sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public object? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;
}

/// <summary>One log event: its id, level, formatted message and structured values.</summary>
internal sealed record Logged(string Category, LogLevel Level, EventId Id, string Message, IReadOnlyList<KeyValuePair<string, object?>> Values);

/// <summary>
/// Captures one test's telemetry. Metrics: an <see cref="IMeterFactory"/> of its own, handed to the manager through
/// <see cref="PlaybackSettings.MeterFactory"/>; the listener enables only instruments whose meter that factory created
/// (<see cref="Meter.Scope"/>), so tests running in parallel never see each other's counts. Traces: every activity of the
/// <c>Playback</c> source (the source is process-wide; tests pick theirs by trace id or call id). Logs: an
/// <see cref="ILoggerFactory"/> that keeps every event.
/// </summary>
internal sealed class TelemetryCapture : IMeterFactory, ILoggerFactory
{
    private readonly ConcurrentQueue<Measured> _measured = new();
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly ConcurrentQueue<Logged> _logs = new();
    private readonly ConcurrentBag<Meter> _meters = [];
    private readonly SemaphoreSlim _logged = new(0);
    private readonly MeterListener _meterListener = new();
    private readonly ActivityListener _activityListener;

    public TelemetryCapture()
    {
        _meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, this))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _meterListener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _meterListener.Start();
        _activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PlaybackDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _activities.Enqueue,
        };
        ActivitySource.AddActivityListener(_activityListener);
    }

    public IReadOnlyList<Measured> Measurements => _measured.ToArray();

    public IReadOnlyList<Activity> Activities => _activities.ToArray();

    public IReadOnlyList<Logged> Logs => _logs.ToArray();

    /// <summary>The measurements of one instrument.</summary>
    public IReadOnlyList<Measured> Of(string instrument) => Measurements.Where(m => m.Instrument == instrument).ToList();

    /// <summary>The sum of one instrument's measurements (a counter's count, an up-down counter's value).</summary>
    public double Sum(string instrument) => Of(instrument).Sum(m => m.Value);

    /// <summary>Waits for a log event that matches (one already logged counts); throws when none came within <paramref name="timeout"/>.</summary>
    public async Task<Logged> WaitForLogAsync(Func<Logged, bool> match, TimeSpan timeout)
    {
        using var guard = new CancellationTokenSource(timeout);
        while (true)
        {
            if (Logs.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await _logged.WaitAsync(guard.Token);
        }
    }

    /// <summary>The log events with one id.</summary>
    public IReadOnlyList<Logged> LogsWithId(int id) => Logs.Where(l => l.Id.Id == id).ToList();

    Meter IMeterFactory.Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        _meters.Add(meter);
        return meter;
    }

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _logs, _logged);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
        _meterListener.Dispose();
        _activityListener.Dispose();
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }

    private void Add<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measured.Enqueue(new Measured(instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), copy));
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<Logged> logs, SemaphoreSlim logged) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            logs.Enqueue(new Logged(category, logLevel, eventId, formatter(state, exception), values.ToList()));
            logged.Release();
        }
    }
}
