using Akka.Actor;
using Akka.Actor.Setup;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using IScheduler = System.Reactive.Concurrency.IScheduler;

namespace Playback;

/// <summary>What a manager is made of. Every way to create one (the public overloads, Playback.Hosting, Playback.Cluster) ends in <see cref="PlaybackManager.Create(ManagerSetup)"/>.</summary>
/// <param name="System">The ActorSystem the call actors run in.</param>
/// <param name="OwnsSystem">Whether disposing the manager terminates <paramref name="System"/>.</param>
/// <param name="Settings">The settings; validated by Create.</param>
internal sealed record ManagerSetup(ActorSystem System, bool OwnsSystem, PlaybackSettings Settings)
{
    /// <summary>The Calling API as given (used as is, not owned); null: the HTTP client behind the resilience pipeline, owned by the manager, and credentials are required.</summary>
    public ICallingApi? Api { get; init; }

    /// <summary>Where Rx subscribers are called; null: the thread pool, one work item per value delivered to a subscriber (<see cref="PoolScheduler"/>).</summary>
    public IScheduler? DeliveryScheduler { get; init; }

    /// <summary>Starts the actor that receives commands and webhooks (Playback.Cluster's gateway to the shard region); null: a local call registry.</summary>
    public Func<ActorSystem, PlaybackActorSettings, IActorRef>? StartRouter { get; init; }

    /// <summary>Where Playback's logs go; null: Akka's log of <see cref="System"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Creates the manager's meter when <see cref="PlaybackSettings.MeterFactory"/> does not (the host's); null: the manager creates its own.</summary>
    public IMeterFactory? MeterFactory { get; init; }
}

/// <summary>The ways to create a manager: its own ActorSystem, an existing one, or a given API; all through one path.</summary>
public sealed partial class PlaybackManager
{
    /// <summary>Creates a manager with its own ActorSystem and the HTTP Calling API client.</summary>
    /// <param name="settings">Settings with credentials and a space or base URL.</param>
    /// <returns>The manager; dispose it to stop its ActorSystem.</returns>
    /// <exception cref="PlaybackConfigurationException">The settings are incomplete or wrong (one message lists everything).</exception>
    public static PlaybackManager Create(PlaybackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);

        // Validated before the ActorSystem exists, so that a bad setting leaves nothing running.
        settings.Validate();
        return Create(new ManagerSetup(ActorSystem.Create("playback", SystemSetup(ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(PlaybackConfig.Reference)), settings)), OwnsSystem: true, settings));
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
        return Create(new ManagerSetup(ActorSystem.Create("playback", SystemSetup(LoggerFactoryAkkaSetup.For(loggerFactory), settings)), OwnsSystem: true, settings) { LoggerFactory = loggerFactory });
    }

    /// <summary>What a system of Playback's own needs from its start (the SQLite store's connection setup).</summary>
    internal static ActorSystemSetup SystemSetup(ActorSystemSetup setup, PlaybackSettings settings) =>
        SqliteDurability.SetupFor(settings.Persistence) is { } store ? setup.And(store) : setup;

    /// <summary>Creates a manager inside an existing ActorSystem with the HTTP Calling API client.</summary>
    /// <param name="system">The ActorSystem to run the call actors in; disposing the manager stops only its own actors.</param>
    /// <param name="settings">Settings with credentials and a space or base URL.</param>
    /// <returns>The manager.</returns>
    /// <exception cref="PlaybackConfigurationException">The settings are incomplete or wrong.</exception>
    public static PlaybackManager Create(ActorSystem system, PlaybackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        return Create(new ManagerSetup(system, OwnsSystem: false, settings));
    }

    /// <summary>Creates a manager inside an existing ActorSystem that sends commands through the given API (a substitute in tests, or a decorated client). The API is used as given: no retries, breaker or rate limit are added around it.</summary>
    /// <param name="system">The ActorSystem to run the call actors in.</param>
    /// <param name="settings">Settings; credentials are not required.</param>
    /// <param name="api">The Calling API implementation.</param>
    /// <returns>The manager.</returns>
    /// <exception cref="PlaybackConfigurationException">A setting is wrong.</exception>
    public static PlaybackManager Create(ActorSystem system, PlaybackSettings settings, ICallingApi api)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(api);
        return Create(new ManagerSetup(system, OwnsSystem: false, settings) { Api = api });
    }

    /// <summary>The one way a manager is made: validates the settings (credentials only when the HTTP client is to be built), then builds it.</summary>
    internal static PlaybackManager Create(ManagerSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        setup.Settings.Validate(requireCredentials: setup.Api is null);
        var api = setup.Api ?? new ResilientCallingApi(new CallingApi(setup.Settings), setup.Settings.Resilience, setup.Settings.RequestTimeout);
        return new PlaybackManager(setup, api, ownsApi: setup.Api is null);
    }
}
