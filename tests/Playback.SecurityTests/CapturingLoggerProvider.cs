using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Playback.SecurityTests;

/// <summary>
/// An <see cref="ILoggerProvider"/> that keeps every log entry at every level as text: the category, the formatted
/// message, each structured value (rendered with ToString) and the exception's ToString(). Akka's logs arrive here too,
/// through Akka.Hosting's logger bridge that Playback.Hosting installs.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            entries.Enqueue($"[scope] {category}: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = $"[{logLevel}] {category}: {formatter(state, exception)}";
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                text += " {" + string.Join(", ", values.Select(v => $"{v.Key}={v.Value}")) + "}";
            }

            if (exception is not null)
            {
                text += Environment.NewLine + exception;
            }

            entries.Enqueue(text);
        }
    }
}
