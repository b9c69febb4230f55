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
/// The settings checked are those of the manager the endpoint hands webhooks to. Without Akka.Hosting they are built from
/// <see cref="PlaybackOptions"/> and checked with the other options at startup validation, so that one
/// <see cref="OptionsValidationException"/> names every problem. With Akka.Hosting the manager may be started from the
/// settings given to <c>WithPlayback(settings)</c> / <c>WithPlaybackCluster(settings, …)</c>, which are known once the
/// host has built its hosted services (Akka.Hosting runs the application's <c>AddAkka</c> code then): they are checked in
/// <see cref="StartingAsync"/>, before any hosted service (Kestrel, the ActorSystem) starts.
/// </remarks>
internal sealed class PlaybackWebhookSecurity(PlaybackWebhookRoute route, IServiceProvider services, ILoggerFactory loggers)
    : IValidateOptions<PlaybackOptions>, IHostedLifecycleService
{
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
        route.Path is { } path && !UsesAkkaHosting && FromOptions(options) is { } settings && Problem(settings, path) is { } problem
            ? ValidateOptionsResult.Fail(problem)
            : ValidateOptionsResult.Success;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (route.Path is not { } path || EndpointSettings() is not { } settings)
        {
            return Task.CompletedTask;
        }

        if (Problem(settings, path) is { } problem)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(PlaybackOptions), [problem]);
        }

        var log = loggers.CreateLogger("Playback.Webhooks");
        switch (settings.EffectiveSignaturePolicy)
        {
            case WebhookSignaturePolicy.Off:
                log.LogWarning(
                    "Unsigned webhooks are accepted: SignaturePolicy is Off, so the endpoint at {Path} checks no signature and trusts every request that reaches it. Set Playback:SigningKey and leave SignaturePolicy unset to check them.",
                    path);
                break;
            case WebhookSignaturePolicy.WhenPresent:
                log.LogWarning(
                    "Unsigned webhooks are accepted: SignaturePolicy is WhenPresent, so the endpoint at {Path} rejects wrong signatures but trusts requests without one. Use Required to reject them.",
                    path);
                break;
        }

        if (settings.EffectiveSignaturePolicy != WebhookSignaturePolicy.Off
            && string.IsNullOrWhiteSpace(services.GetRequiredService<IOptionsMonitor<PlaybackOptions>>().CurrentValue.PublicBaseUrl))
        {
            log.LogWarning(
                "Playback:PublicBaseUrl is not set, so the endpoint at {Path} checks signatures against the URL rebuilt from each request's scheme and Host header: the sender chooses those (and forwarded headers change them when the app trusts them), and behind a proxy they differ from the URL SignalWire signed. Set Playback:PublicBaseUrl to this app's public URL.",
                path);
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Whether Akka.Hosting is registered, asked without building its builder (which would run the application's <c>AddAkka</c> code).</summary>
    private bool UsesAkkaHosting => services.GetService<IServiceProviderIsService>()?.IsService(typeof(AkkaConfigurationBuilder)) ?? false;

    /// <summary>The settings of the manager the endpoint feeds; called once the hosted services (Akka.Hosting's builder among them) exist.</summary>
    private PlaybackSettings? EndpointSettings() =>
        (UsesAkkaHosting ? PlaybackAkkaHostingExtensions.SettingsOf(services.GetRequiredService<AkkaConfigurationBuilder>()) : null)
        ?? FromOptions(services.GetRequiredService<IOptionsMonitor<PlaybackOptions>>().CurrentValue);

    private PlaybackSettings? FromOptions(PlaybackOptions options)
    {
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
