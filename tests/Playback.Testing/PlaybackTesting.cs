using Playback.Emulator;
using Playback.Hosting;

namespace Playback.Testing;

/// <summary>Playback pointed at an emulator.</summary>
public static class PlaybackTesting
{
    /// <summary>
    /// Points the options at the emulator (address, credentials, signing key), ignores the machine's SIGNALWIRE_* variables,
    /// and gives commands a patient ask timeout (30 s: a loaded machine, not Playback, is slow then).
    /// </summary>
    /// <param name="options">The options to change.</param>
    /// <param name="emulator">The emulator.</param>
    public static void UseEmulator(this PlaybackOptions options, CallingEmulator emulator)
    {
        options.BaseUrl = emulator.BaseUrl.ToString();
        options.ProjectId = emulator.ProjectId;
        options.ApiToken = emulator.ApiToken;
        options.SigningKey = emulator.SigningKey;
        options.AskTimeout = TimeSpan.FromSeconds(30);
        options.UseEnvironmentFallback = false;
    }

    /// <summary>Settings pointed at the emulator: its address, credentials and signing key (nothing else changed).</summary>
    /// <param name="emulator">The emulator.</param>
    /// <returns>The settings.</returns>
    public static PlaybackSettings Settings(CallingEmulator emulator) => new()
    {
        BaseUrl = emulator.BaseUrl,
        ProjectId = emulator.ProjectId,
        ApiToken = emulator.ApiToken,
        SigningKey = emulator.SigningKey,
    };
}
