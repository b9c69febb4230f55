using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Playback.Hosting;

/// <summary>Registers Playback in a service collection.</summary>
public static class PlaybackServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PlaybackManager"/> (a singleton), <see cref="PlaybackOptions"/> bound to a configuration
    /// section and validated at startup, and the <c>playback</c> health check. Once <c>MapPlaybackWebhooks</c> is mapped, the
    /// host does not start unless <c>Playback:SigningKey</c> is set or <c>Playback:SignaturePolicy</c> is explicitly <c>Off</c>.
    /// With <c>Playback:Persistence</c> set, the host's start waits for <see cref="PlaybackManager.Recovery"/> and fails with
    /// <see cref="PlaybackStoreException"/> when the store cannot be opened.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section to bind, usually <c>configuration.GetSection("Playback")</c>.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddPlayback(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PlaybackOptions>().Bind(configuration).ValidateOnStart();
        return services.AddPlaybackCore();
    }

    /// <summary>Registers Playback with options set in code (environment fallbacks still apply to what is not set).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddPlayback(this IServiceCollection services, Action<PlaybackOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PlaybackOptions>().Configure(configure).ValidateOnStart();
        return services.AddPlaybackCore();
    }

    /// <summary>
    /// Makes the <see cref="PlaybackManager"/> that Akka.Hosting's <c>WithPlayback(settings)</c> or <c>WithPlayback(o => …)</c>
    /// starts on the host's ActorSystem resolvable from DI (and adds the <c>playback</c> health check), without binding
    /// options of its own (it checks, at start, the two the endpoint reads: <c>MaxWebhookBodyBytes</c> and <c>PublicBaseUrl</c>). <c>MapPlaybackWebhooks</c> then uses default <see cref="PlaybackOptions"/>
    /// unless you configure them (e.g. <c>services.Configure&lt;PlaybackOptions&gt;(o => o.PublicBaseUrl = …)</c>). Once the
    /// endpoint is mapped, the host does not start unless the manager's settings have a signing key or an explicit
    /// <c>SignaturePolicy = Off</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddPlayback(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PlaybackOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlaybackOptions>, PlaybackEndpointOptionsValidator>());
        services.TryAddSingleton<PlaybackWebhookRoute>();
        PlaybackWebhookSecurity.Register(services);
        services.TryAddSingleton(sp => sp.GetRequiredService<Akka.Actor.ActorSystem>().GetPlayback()
            ?? throw new InvalidOperationException("No PlaybackManager has been started on the ActorSystem: add WithPlayback(settings) to AddAkka(...), or register Playback with AddPlayback(configuration)."));
        services.AddPlaybackHostedService();
        if (!services.Any(d => d.ServiceType == typeof(HealthCheckMarker)))
        {
            services.AddSingleton<HealthCheckMarker>();
            services.AddHealthChecks().Add(new HealthCheckRegistration(
                PlaybackHealthCheck.Name,
                sp => new PlaybackHealthCheck(() => sp.GetService<Akka.Actor.ActorSystem>()?.GetPlayback()),
                failureStatus: null,
                tags: ["playback"]));
        }

        return services;
    }

    private static IServiceCollection AddPlaybackCore(this IServiceCollection services)
    {
        services.TryAddSingleton<PlaybackWebhookRoute>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlaybackOptions>, PlaybackOptionsValidator>());
        PlaybackWebhookSecurity.Register(services);
        services.TryAddSingleton<PlaybackManagerProvider>();
        services.TryAddSingleton(sp => sp.GetRequiredService<PlaybackManagerProvider>().Manager);
        services.AddPlaybackHostedService();
        if (!services.Any(d => d.ServiceType == typeof(HealthCheckMarker)))
        {
            services.AddSingleton<HealthCheckMarker>();
            services.AddHealthChecks().Add(new HealthCheckRegistration(
                PlaybackHealthCheck.Name,
                sp =>
                {
                    var provider = sp.GetRequiredService<PlaybackManagerProvider>();
                    return new PlaybackHealthCheck(() => provider.IsCreated ? provider.Manager : null);
                },
                failureStatus: null,
                tags: ["playback"]));
        }

        return services;
    }

    /// <summary>Registers <see cref="PlaybackHostedService"/> once: it creates the manager at start, waits for its recovery from the store, and disposes it.</summary>
    private static void AddPlaybackHostedService(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService) && d.ImplementationType == typeof(PlaybackHostedService)))
        {
            services.AddHostedService<PlaybackHostedService>();
        }
    }

    /// <summary>Marks that the playback health check is registered, so that it is registered once.</summary>
    private sealed class HealthCheckMarker;
}
