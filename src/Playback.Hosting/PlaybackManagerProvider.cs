using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Playback.Hosting;

/// <summary>
/// Creates the one <see cref="PlaybackManager"/> of the container: on the host's ActorSystem when Akka.Hosting runs one,
/// otherwise on its own ActorSystem whose Akka logs go to <see cref="ILoggerFactory"/> through Akka.Hosting's bridge.
/// </summary>
internal sealed class PlaybackManagerProvider(IServiceProvider services, IOptions<PlaybackOptions> options, PlaybackWebhookRoute route, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private readonly object _gate = new();
    private PlaybackManager? _manager;

    public bool UsesHostActorSystem => services.GetService<ActorRegistry>() is not null;

    public PlaybackManager Manager
    {
        get
        {
            lock (_gate)
            {
                return _manager ??= Create();
            }
        }
    }

    public bool IsCreated
    {
        get
        {
            lock (_gate)
            {
                return _manager is not null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        PlaybackManager? manager;
        lock (_gate)
        {
            manager = _manager;
        }

        if (manager is not null)
        {
            await manager.DisposeAsync().ConfigureAwait(false);
        }
    }

    private PlaybackManager Create()
    {
        var settings = options.Value.ToSettings(route.Path);
        var meters = services.GetService<IMeterFactory>();
        var log = loggerFactory.CreateLogger("Playback");
        if (UsesHostActorSystem)
        {
            var system = services.GetRequiredService<ActorSystem>();
            if (system.GetPlayback() is { } started)
            {
                return started;
            }

            log.LogInformation("Playback starts on the host's ActorSystem {System}: {Settings}", system.Name, settings.ToString());
            return PlaybackAkkaHostingExtensions.Start(system, settings, meters);
        }

        settings.Validate();
        var setup = BootstrapSetup.Create()
            .WithConfig(Akka.Configuration.ConfigurationFactory.ParseString("akka.loggers = [\"Akka.Hosting.Logging.LoggerFactoryLogger, Akka.Hosting\"]"))
            .And(new LoggerFactorySetup(loggerFactory));
        var owned = ActorSystem.Create("playback", PlaybackManager.SystemSetup(setup, settings));
        log.LogInformation("Playback starts on its own ActorSystem: {Settings}", settings.ToString());
        return PlaybackManager.Create(new ManagerSetup(owned, OwnsSystem: true, settings) { LoggerFactory = loggerFactory, MeterFactory = meters });
    }
}
