using System.Runtime.CompilerServices;
using Akka.Actor;
using System.Diagnostics.Metrics;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Playback.Hosting;

/// <summary>The key under which Playback's call registry actor is registered in Akka.Hosting's <see cref="ActorRegistry"/> (<c>IRequiredActor&lt;PlaybackCallRegistry&gt;</c>).</summary>
public sealed class PlaybackCallRegistry
{
    private PlaybackCallRegistry()
    {
    }
}

/// <summary>Runs Playback inside an Akka.Hosting ActorSystem.</summary>
public static class PlaybackAkkaHostingExtensions
{
    private static readonly ConditionalWeakTable<ActorSystem, PlaybackManager> Managers = new();
    private static readonly ConditionalWeakTable<AkkaConfigurationBuilder, PlaybackSettings> Configured = new();

    /// <summary>The manager started on this ActorSystem by <c>WithPlayback</c>, if any.</summary>
    /// <param name="system">The ActorSystem.</param>
    /// <returns>The manager, or null.</returns>
    public static PlaybackManager? GetPlayback(this ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return Managers.TryGetValue(system, out var manager) ? manager : null;
    }

    /// <summary>
    /// Starts a <see cref="PlaybackManager"/> with these settings on this (the host's) ActorSystem when it starts, registers
    /// its call registry actor as <see cref="PlaybackCallRegistry"/>, and sends Akka's logs to <c>ILogger</c>. With
    /// <c>services.AddPlayback(…)</c> also registered, DI resolves this same manager.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="settings">The settings (validated when the system starts).</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithPlayback(this AkkaConfigurationBuilder builder, PlaybackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        Remember(builder, settings);
        return builder.WithPlaybackStore(settings.Persistence).WithLoggerBridge().WithActors((system, registry, resolver) =>
            registry.Register<PlaybackCallRegistry>(Start(system, settings, resolver.GetService<IMeterFactory>()).CallRegistryActor));
    }

    /// <summary>
    /// As <see cref="WithPlayback(AkkaConfigurationBuilder, PlaybackSettings)"/>, with the settings of the options that
    /// <c>services.AddPlayback(configuration)</c> (or <c>AddPlayback(configure)</c>) registered: for Akka.Hosting's
    /// <c>AddAkka(name, (builder, serviceProvider) => …)</c>. Unlike <see cref="WithPlayback(AkkaConfigurationBuilder)"/>,
    /// it configures the store before the ActorSystem exists: through Akka.Persistence.Sql.Hosting, and on SQLite with
    /// the journal's <c>synchronous = NORMAL</c> (README, "Surviving restarts"). DI's <see cref="PlaybackManager"/> is this one.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="services">The service provider <c>AddAkka</c> passes to its builder callback.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException"><c>AddPlayback(…)</c> was not called.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid (each problem names its key).</exception>
    public static AkkaConfigurationBuilder WithPlayback(this AkkaConfigurationBuilder builder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(services);
        var route = services.GetService<PlaybackWebhookRoute>()
            ?? throw new InvalidOperationException("Playback's options are not registered: call services.AddPlayback(configuration.GetSection(\"Playback\")) as well as WithPlayback(serviceProvider).");
        return builder.WithPlayback(services.GetRequiredService<IOptions<PlaybackOptions>>().Value.ToSettings(route.Path));
    }

    /// <summary>As <see cref="WithPlayback(AkkaConfigurationBuilder, PlaybackSettings)"/>, with options set in code over the environment fallback.</summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithPlayback(this AkkaConfigurationBuilder builder, Action<PlaybackOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PlaybackOptions();
        configure(options);
        return builder.WithPlayback(options.ToSettings());
    }
    /// <summary>
    /// Starts the <see cref="PlaybackManager"/> registered by <c>services.AddPlayback(…)</c> on this (the host's) ActorSystem
    /// when it starts, registers its call registry actor as <see cref="PlaybackCallRegistry"/>, and sends Akka's logs to
    /// <c>ILogger</c> through Akka.Hosting's logger bridge.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <returns>The builder.</returns>
    /// <remarks>Call <c>services.AddPlayback(configuration.GetSection("Playback"))</c> too: it is what makes <see cref="PlaybackManager"/> resolvable from DI and validates the options.</remarks>
    public static AkkaConfigurationBuilder WithPlayback(this AkkaConfigurationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .WithLoggerBridge()
            .WithActors((system, registry, resolver) =>
            {
                var manager = resolver.GetService<PlaybackManager>()
                    ?? throw new InvalidOperationException("PlaybackManager is not registered: call services.AddPlayback(...) as well as WithPlayback().");
                registry.Register<PlaybackCallRegistry>(manager.CallRegistryActor);
            });
    }

    internal static PlaybackManager Start(ActorSystem system, PlaybackSettings settings, IMeterFactory? meterFactory = null)
    {
        lock (Managers)
        {
            // One manager per system: DI's provider may have started it first (a service resolved it before the host started).
            return GetPlayback(system) ?? StartNew(system, settings, meterFactory);
        }
    }

    private static PlaybackManager StartNew(ActorSystem system, PlaybackSettings settings, IMeterFactory? meterFactory)
    {
        // Playback's own events go to the host's ILoggerFactory (the one Akka.Hosting's logger bridge writes Akka's to).
        var loggers = system.Settings.Setup.Get<LoggerFactorySetup>();
        var manager = PlaybackManager.Create(new ManagerSetup(system, OwnsSystem: false, settings)
        {
            LoggerFactory = loggers.HasValue ? loggers.Value.LoggerFactory : null,
            MeterFactory = meterFactory,
        });
        Managers.AddOrUpdate(system, manager);
        return manager;
    }

    /// <summary>Records the settings a manager will be started with on this builder's ActorSystem, so that the webhook endpoint's start checks see them.</summary>
    internal static void Remember(AkkaConfigurationBuilder builder, PlaybackSettings settings) => Configured.AddOrUpdate(builder, settings);

    /// <summary>The settings <c>WithPlayback(settings)</c> or <c>WithPlaybackCluster(settings, …)</c> gave this builder, if any.</summary>
    internal static PlaybackSettings? SettingsOf(AkkaConfigurationBuilder builder) => Configured.TryGetValue(builder, out var settings) ? settings : null;

    /// <summary>Makes a manager started elsewhere (Playback.Cluster) the one <see cref="GetPlayback"/> and DI return.</summary>
    internal static void Register(ActorSystem system, PlaybackManager manager) => Managers.AddOrUpdate(system, manager);

    internal static AkkaConfigurationBuilder WithLoggerBridge(this AkkaConfigurationBuilder builder) =>
        builder.ConfigureLoggers(loggers =>
        {
            loggers.ClearLoggers();
            loggers.AddLoggerFactory();
        });
}
