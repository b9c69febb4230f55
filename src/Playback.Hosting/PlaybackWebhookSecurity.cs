using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Playback.Hosting;

/// <summary>
/// Secure by default. Once <c>MapPlaybackWebhooks</c> has mapped the endpoint, the host does not start while the endpoint
/// would trust unsigned requests without being told to: no signing key and no explicit <c>SignaturePolicy = Off</c>
/// (the policy is nullable: null means "not chosen", so an explicit <c>Off</c> is told apart from the default). When the
/// endpoint has been told to accept unsigned webhooks (<c>Off</c>, or <c>WhenPresent</c>), it logs one warning at start.
/// </summary>
/// <remarks>
/// The settings checked are those of the manager the endpoint hands webhooks to: the ones given to Akka.Hosting's
/// <c>WithPlayback(settings)</c> / <c>WithPlaybackCluster(settings, …)</c> when the host's ActorSystem runs it, otherwise
/// the ones built from <see cref="PlaybackOptions"/>.
/// </remarks>
internal sealed class PlaybackWebhookSecurity(PlaybackWebhookRoute route, IServiceProvider services, ILoggerFactory loggers)
    : IValidateOptions<PlaybackOptions>, IHostedService
{
    /// <summary>Set while this thread resolves Akka.Hosting's builder, whose configuration code may itself read the options.</summary>
    [ThreadStatic]
    private static bool _resolvingAkka;

    /// <summary>Registers the check and the start warning once; every <c>AddPlayback</c> overload calls this.</summary>
    internal static void Register(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlaybackOptions>, PlaybackWebhookSecurity>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PlaybackWebhookSecurity>());
    }

    /// <summary>The problem with these settings for a mapped endpoint at <paramref name="path"/>, or null when there is none.</summary>
    internal static string? Problem(PlaybackSettings settings, string path) =>
        string.IsNullOrEmpty(settings.SigningKey) && settings.SignaturePolicy is null
            ? $"Playback:SigningKey is not set and Playback:SignaturePolicy is not chosen, so the webhook endpoint mapped at {path} would accept "
              + "unsigned requests from anyone who can reach it. Set Playback:SigningKey (or SIGNALWIRE_SIGNING_KEY) to your SignalWire signing key, "
              + "or set Playback:SignaturePolicy to Off to accept unsigned webhooks on purpose."
            : null;

    public ValidateOptionsResult Validate(string? name, PlaybackOptions options) =>
        route.Path is { } path && EndpointSettings(options) is { } settings && Problem(settings, path) is { } problem
            ? ValidateOptionsResult.Fail(problem)
            : ValidateOptionsResult.Success;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (route.Path is not { } path || EndpointSettings(services.GetRequiredService<IOptionsMonitor<PlaybackOptions>>().CurrentValue) is not { } settings)
        {
            return Task.CompletedTask;
        }

        var log = loggers.CreateLogger("Playback.Webhooks");
        switch (settings.EffectiveSignaturePolicy)
        {
            case WebhookSignaturePolicy.Off:
                log.LogWarning(
                    "Unsigned webhooks are accepted: SignaturePolicy is Off, so the endpoint at {Path} checks no signature and trusts every request that reaches it. Set Playback:SigningKey to check them.",
                    path);
                break;
            case WebhookSignaturePolicy.WhenPresent:
                log.LogWarning(
                    "Unsigned webhooks are accepted: SignaturePolicy is WhenPresent, so the endpoint at {Path} rejects wrong signatures but trusts requests without one. Use Required to reject them.",
                    path);
                break;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private PlaybackSettings? EndpointSettings(PlaybackOptions options)
    {
        if (!_resolvingAkka)
        {
            AkkaConfigurationBuilder? akka;
            _resolvingAkka = true;
            try
            {
                // Resolving the builder runs the application's AddAkka(...) code, where WithPlayback(settings) records its settings.
                akka = services.GetService<AkkaConfigurationBuilder>();
            }
            finally
            {
                _resolvingAkka = false;
            }

            if (akka is not null && PlaybackAkkaHostingExtensions.SettingsOf(akka) is { } started)
            {
                return started;
            }
        }

        try
        {
            return options.ToSettings(route.Path);
        }
        catch (PlaybackConfigurationException)
        {
            return null; // A URL that cannot be parsed: PlaybackOptionsValidator reports it.
        }
    }
}
