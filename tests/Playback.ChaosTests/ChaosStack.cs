using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>
/// The shared <see cref="LoopbackStack"/>, tuned for chaos: the hosting options have no resilience knobs, so the manager is
/// started on the host's ActorSystem with full <see cref="PlaybackSettings"/> (Akka.Hosting's <c>WithPlayback(settings)</c>);
/// AddPlayback then resolves that same manager (the stack checks it).
/// </summary>
internal static class ChaosStack
{
    /// <summary>Starts the emulator and the web app; <paramref name="tune"/> adjusts the settings built from the emulator's address and credentials.</summary>
    public static Task<LoopbackStack> StartAsync(EmulatorOptions emulatorOptions, Func<PlaybackSettings, PlaybackSettings> tune) =>
        LoopbackStack.StartAsync(o =>
        {
            o.Emulator = emulatorOptions;
            o.Settings = tune;
        });
}
