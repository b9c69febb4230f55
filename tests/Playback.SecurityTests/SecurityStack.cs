using Microsoft.Extensions.DependencyInjection;
using Playback.Emulator;
using Playback.Hosting;

namespace Playback.SecurityTests;

/// <summary>
/// The shared <see cref="LoopbackStack"/> with every log entry of the web app (Akka's included) in its
/// <see cref="LoopbackStack.Logs"/>. The signing key is set, so the signature policy is Required.
/// </summary>
internal static class SecurityStack
{
    public const string WebhookPath = LoopbackStack.WebhookPath;

    /// <summary>Starts an emulator and the web app.</summary>
    /// <param name="emulatorOptions">The emulator's options (credentials, speed).</param>
    public static Task<LoopbackStack> StartAsync(EmulatorOptions emulatorOptions) =>
        LoopbackStack.StartAsync(o =>
        {
            o.Emulator = emulatorOptions;
            o.Logs = new CapturingLoggerProvider();
        });

    /// <summary>Builds and starts a web app like the stack's (its start may fail, e.g. with an <c>OptionsValidationException</c>).</summary>
    /// <param name="emulator">The emulator the app's Playback talks to.</param>
    /// <param name="logs">Where every log entry of the app goes.</param>
    /// <param name="configure">Changes to the Playback options.</param>
    /// <param name="services">More services (e.g. an Akka.Hosting ActorSystem).</param>
    public static Task<LoopbackWebApp> StartAppAsync(CallingEmulator emulator, CapturingLoggerProvider logs, Action<PlaybackOptions>? configure, Action<IServiceCollection>? services = null) =>
        LoopbackStack.StartAppAsync(emulator, o =>
        {
            o.Logs = logs;
            o.Playback = configure;
            o.Services = services;
        });
}
