using System.Collections.Immutable;
using IScheduler = System.Reactive.Concurrency.IScheduler;
using Akka.Actor;
using Akka.Event;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Playback;

/// <summary>The ways to create a manager: its own ActorSystem, an existing one, a given API, or routed to a cluster gateway.</summary>
public sealed partial class PlaybackManager
{
    /// <summary>Creates a manager with its own ActorSystem and the HTTP Calling API client.</summary>
    /// <param name="settings">Settings with credentials and a space or base URL.</param>
    /// <returns>The manager; dispose it to stop its ActorSystem.</returns>
    /// <exception cref="PlaybackConfigurationException">The settings are incomplete or wrong (one message lists everything).</exception>
    public static PlaybackManager Create(PlaybackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var system = ActorSystem.Create("playback", PlaybackConfig.Reference);
        return new PlaybackManager(system, ownsSystem: true, settings, HttpApi(settings), ownsApi: true, deliveryScheduler: null);
    }

    /// <summary>
    /// Creates a manager with its own ActorSystem and the HTTP Calling API client, logging to <paramref name="loggerFactory"/>:
    /// Playback's events (category <c>Playback</c>, stable event ids) and Akka's own log events alike. For use without a host.
    /// </summary>
    /// <param name="settings">Settings with credentials and a space or base URL.</param>
    /// <param name="loggerFactory">Where the logs go.</param>
    /// <returns>The manager; dispose it to stop its ActorSystem.</returns>
    /// <exception cref="PlaybackConfigurationException">The settings are incomplete or wrong (one message lists everything).</exception>
    public static PlaybackManager Create(PlaybackSettings settings, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        settings.Validate();
        var system = ActorSystem.Create("playback", LoggerFactoryAkkaSetup.For(loggerFactory));
        return new PlaybackManager(system, ownsSystem: true, settings, HttpApi(settings), ownsApi: true, deliveryScheduler: null, loggerFactory: loggerFactory);
    }

    /// <summary>Creates a manager inside an existing ActorSystem with the HTTP Calling API client.</summary>
    /// <param name="system">The ActorSystem to run the call actors in; disposing the manager stops only its own actors.</param>
    /// <param name="settings">Settings with credentials and a space or base URL.</param>
    /// <returns>The manager.</returns>
    /// <exception cref="PlaybackConfigurationException">The settings are incomplete or wrong.</exception>
    public static PlaybackManager Create(ActorSystem system, PlaybackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return new PlaybackManager(system, ownsSystem: false, settings, HttpApi(settings), ownsApi: true, deliveryScheduler: null);
    }

    /// <summary>Creates a manager inside an existing ActorSystem that sends commands through the given API (a substitute in tests, or a decorated client). The API is used as given: wrap it in <see cref="ResilientCallingApi"/> for retries, breaker and rate limit.</summary>
    /// <param name="system">The ActorSystem to run the call actors in.</param>
    /// <param name="settings">Settings; credentials are not required.</param>
    /// <param name="api">The Calling API implementation.</param>
    /// <returns>The manager.</returns>
    /// <exception cref="PlaybackConfigurationException">A setting is wrong.</exception>
    public static PlaybackManager Create(ActorSystem system, PlaybackSettings settings, ICallingApi api) =>
        Create(system, settings, api, deliveryScheduler: null);

    /// <summary>Creates a manager that owns (and terminates on dispose) an ActorSystem made by the caller, e.g. with a logging setup.</summary>
    internal static PlaybackManager CreateOwning(ActorSystem system, PlaybackSettings settings, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        settings.Validate();
        return new PlaybackManager(system, ownsSystem: true, settings, HttpApi(settings), ownsApi: true, deliveryScheduler: null, loggerFactory: loggerFactory, meterFactory: meterFactory);
    }

    /// <summary>Creates a manager inside an existing ActorSystem (the host's) whose logs go to the host's <paramref name="loggerFactory"/> and whose meter comes from the host's <paramref name="meterFactory"/> unless the settings name one.</summary>
    internal static PlaybackManager Create(ActorSystem system, PlaybackSettings settings, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return new PlaybackManager(system, ownsSystem: false, settings, HttpApi(settings), ownsApi: true, deliveryScheduler: null, loggerFactory: loggerFactory, meterFactory: meterFactory);
    }

    /// <summary>The HTTP client behind the resilience pipeline.</summary>
    private static ResilientCallingApi HttpApi(PlaybackSettings settings) =>
        new(new CallingApi(settings), settings.Resilience, settings.RequestTimeout);

    /// <summary>
    /// Creates a manager whose commands and webhooks go to the actor <paramref name="startRouter"/> returns (Playback.Cluster's
    /// gateway to the shard region) instead of a local call registry.
    /// </summary>
    internal static PlaybackManager CreateRouted(ActorSystem system, PlaybackSettings settings, ICallingApi? api, Func<ActorSystem, PlaybackActorSettings, IActorRef> startRouter, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(requireCredentials: api is null);
        return new PlaybackManager(system, ownsSystem: false, settings, api ?? HttpApi(settings), ownsApi: api is null, deliveryScheduler: null, startRouter, loggerFactory);
    }

    internal static PlaybackManager Create(ActorSystem system, PlaybackSettings settings, ICallingApi api, IScheduler? deliveryScheduler)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(api);
        settings.Validate(requireCredentials: false);
        return new PlaybackManager(system, ownsSystem: false, settings, api, ownsApi: false, deliveryScheduler);
    }
}
