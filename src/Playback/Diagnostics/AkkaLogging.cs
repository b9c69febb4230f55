using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Playback;

/// <summary>The <see cref="ILoggerFactory"/> Akka's own log events go to (read by <see cref="AkkaLoggerFactoryLogger"/>).</summary>
internal sealed class LoggerFactoryAkkaSetup(ILoggerFactory factory) : Setup
{
    public ILoggerFactory Factory { get; } = factory;

    /// <summary>An ActorSystem setup whose Akka log events go to <paramref name="factory"/>.</summary>
    public static ActorSystemSetup For(ILoggerFactory factory) => BootstrapSetup.Create()
        .WithConfig(Akka.Configuration.ConfigurationFactory.ParseString($"akka.loggers = [\"{typeof(AkkaLoggerFactoryLogger).AssemblyQualifiedName}\"]")
            .WithFallback(PlaybackConfig.Reference))
        .And(new LoggerFactoryAkkaSetup(factory));
}

/// <summary>
/// An Akka logger (the <c>akka.loggers</c> kind) that writes Akka's log events to an <see cref="ILoggerFactory"/>, one
/// category per log source's class. Playback's core does not reference Akka.Hosting, whose <c>LoggerFactoryLogger</c> does
/// the same for hosted systems; this one serves <see cref="PlaybackManager.Create(PlaybackSettings, ILoggerFactory)"/>.
/// </summary>
internal sealed class AkkaLoggerFactoryLogger : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _factory;

    public AkkaLoggerFactoryLogger()
    {
        _factory = Context.System.Settings.Setup.Get<LoggerFactoryAkkaSetup>().Value?.Factory
            ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
    }

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent e:
                var logger = _factory.CreateLogger(e.LogClass?.FullName ?? "Akka");
                var level = ToLevel(e.LogLevel());
                if (logger.IsEnabled(level))
                {
                    logger.Log(level, new EventId(0, "Akka"), e.Cause, "[{AkkaLogSource}] {AkkaMessage}", e.LogSource, e.Message?.ToString());
                }

                return true;
            default:
                return false;
        }
    }

    internal static LogLevel ToLevel(AkkaLogLevel level) => level switch
    {
        AkkaLogLevel.DebugLevel => LogLevel.Debug,
        AkkaLogLevel.InfoLevel => LogLevel.Information,
        AkkaLogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}

/// <summary>
/// The <see cref="ILogger"/> of a manager created without an <see cref="ILoggerFactory"/>: Playback's events go to the
/// ActorSystem's log (as before there was a factory), formatted, at the same level.
/// </summary>
internal sealed class AkkaAdapterLogger(ILoggingAdapter log) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel switch
    {
        LogLevel.Trace or LogLevel.Debug => log.IsDebugEnabled,
        LogLevel.Information => log.IsInfoEnabled,
        LogLevel.Warning => log.IsWarningEnabled,
        LogLevel.None => false,
        _ => log.IsErrorEnabled,
    };

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var text = formatter(state, exception);
        switch (logLevel)
        {
            case LogLevel.Trace or LogLevel.Debug:
                log.Debug("{0}", text);
                break;
            case LogLevel.Information:
                log.Info("{0}", text);
                break;
            case LogLevel.Warning:
                log.Warning("{0}", text);
                break;
            default:
                log.Error(exception, "{0}", text);
                break;
        }
    }
}
