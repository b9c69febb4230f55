namespace Playback.Emulator.Tests;

/// <summary>
/// An emulator on the real clock, a raw client of it and one live call: the arrangement of tests that need no virtual
/// clock. Deconstruct it into the names the tests use (<c>var (emu, client, call) = session;</c>).
/// </summary>
internal sealed class EmulatorSession(CallingEmulator emu) : IAsyncDisposable
{
    public CallingEmulator Emu { get; } = emu;

    public EmulatorClient Client { get; } = new(emu);

    public string Call { get; } = emu.CreateCall();

    /// <summary>Starts an emulator with the options (default: its defaults) and opens the session on it.</summary>
    public static async Task<EmulatorSession> StartAsync(EmulatorOptions? options = null) =>
        new(await CallingEmulator.StartAsync(options));

    public void Deconstruct(out CallingEmulator emulator, out EmulatorClient client, out string call) => (emulator, client, call) = (Emu, Client, Call);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Emu.DisposeAsync();
    }
}
