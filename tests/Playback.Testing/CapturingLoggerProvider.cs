using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Playback.Testing;

/// <summary>One captured log entry: its formatted message, exception and structured values.</summary>
/// <param name="Category">The logger category.</param>
/// <param name="Level">The level (<see cref="LogLevel.None"/> for a scope).</param>
/// <param name="Message">The formatted message (<c>scope</c> for a scope).</param>
/// <param name="Details">The exception and every structured value, rendered as text and as JSON (the way a destructuring sink would write them).</param>
public sealed record CapturedLog(string Category, LogLevel Level, string Message, string Details)
{
    /// <summary>The entry as one text: <c>[Level] Category: Message Details</c>.</summary>
    public string Line => $"[{Level}] {Category}: {Message} {Details}";

    /// <inheritdoc />
    public override string ToString() => $"{Level} {Category}: {Message} {Details}";
}

/// <summary>
/// An <see cref="ILoggerProvider"/> that keeps every log entry at every level, scopes included, so that tests can look for
/// what was or was not logged (a secret anywhere in a message, a value or an exception). Akka's logs arrive here too, through
/// Akka.Hosting's logger bridge that Playback.Hosting installs.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    /// <summary>Every entry so far, in order (a snapshot).</summary>
    public IReadOnlyList<CapturedLog> Entries => _entries.ToArray();

    /// <summary>Every entry so far as one line each (<see cref="CapturedLog.Line"/>).</summary>
    public IReadOnlyList<string> Lines => _entries.Select(e => e.Line).ToArray();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _entries);

    /// <inheritdoc />
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
            var details = Render(state) + (exception is null ? string.Empty : Environment.NewLine + exception);
            entries.Enqueue(new CapturedLog(category, logLevel, formatter(state, exception), details));
        }

        private static string Render(object? state)
        {
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                return "{" + string.Join(", ", values.Select(v => $"{v.Key}={v.Value}{Json(v.Value)}")) + "}";
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
                return " " + JsonSerializer.Serialize(value, value.GetType());
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
