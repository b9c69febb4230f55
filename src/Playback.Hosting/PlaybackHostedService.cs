using Microsoft.Extensions.Hosting;

namespace Playback.Hosting;

/// <summary>Creates Playback at host start (so configuration errors stop the host at once) and disposes it at host stop. With Akka.Hosting, creation happens in <c>WithPlayback</c> once the ActorSystem runs.</summary>
internal sealed class PlaybackHostedService(PlaybackManagerProvider provider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!provider.UsesHostActorSystem)
        {
            _ = provider.Manager;
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await provider.DisposeAsync().ConfigureAwait(false);
}
