using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Playback.Hosting;

/// <summary>
/// Creates Playback at host start (so configuration errors stop the host at once), waits for its recovery from the store
/// once every hosted service has started (so a corrupt or unreachable store stops the host with a
/// <see cref="PlaybackStoreException"/>, and commands and webhooks find the recovered calls), and disposes it at host stop.
/// With Akka.Hosting, creation happens in <c>WithPlayback</c> once the ActorSystem runs; recovery is awaited all the same.
/// </summary>
internal sealed class PlaybackHostedService(IServiceProvider services) : IHostedLifecycleService
{
    /// <summary>Null when only <c>AddPlayback()</c> is registered: the manager is then the one <c>WithPlayback(settings)</c> started on the host's ActorSystem.</summary>
    private readonly PlaybackManagerProvider? _provider = services.GetService<PlaybackManagerProvider>();

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_provider is { UsesHostActorSystem: false })
        {
            _ = _provider.Manager;
        }

        return Task.CompletedTask;
    }

    /// <summary>After every StartAsync, so that Akka.Hosting's ActorSystem (and the manager <c>WithPlayback</c> starts on it) runs whatever the registration order.</summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        var manager = _provider is not null ? _provider.Manager : services.GetService<ActorSystem>()?.GetPlayback();
        if (manager is not null)
        {
            await manager.Recovery.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync().ConfigureAwait(false);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
