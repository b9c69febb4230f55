using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Playback.Hosting.Tests;

/// <summary>One captured log line: its formatted message, exception and structured values.</summary>
/// <param name="Category">The logger category.</param>
/// <param name="Level">The level.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Details">The exception and every structured value, rendered as text and as JSON (the way a destructuring sink would write them).</param>
public sealed record CapturedLog(string Category, LogLevel Level, string Message, string Details)
{
    public override string ToString() => $"{Level} {Category}: {Message} {Details}";
}

/// <summary>Captures every log line (all levels, scopes included) so that tests can look for what was or was not logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyList<CapturedLog> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<CapturedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            entries.Enqueue(new CapturedLog(category, LogLevel.None, "scope", Render(state)));
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var details = Render(state) + (exception is null ? string.Empty : " " + exception);
            entries.Enqueue(new CapturedLog(category, logLevel, formatter(state, exception), details));
        }

        private static string Render(object? state)
        {
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                return string.Join(" ", values.Select(v => $"{v.Key}={v.Value} {Json(v.Value)}"));
            }

            return state?.ToString() ?? string.Empty;
        }

        private static string Json(object? value)
        {
            if (value is null or string or IConvertible)
            {
                return string.Empty;
            }

            try
            {
                return JsonSerializer.Serialize(value, value.GetType());
            }
#pragma warning disable CA1031 // A capturing sink must never throw: a value that cannot be serialized is kept as its ToString only.
            catch (Exception)
            {
                return string.Empty;
            }
#pragma warning restore CA1031
        }
    }
}
