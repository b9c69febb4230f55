namespace Playback.Emulator.Tests;

/// <summary>
/// An emulator, a webhook listener and a Playback manager connected to both, disposed in the reverse order of their
/// start. Deconstruct it into the names the tests use (<c>var (emulator, listener, playback) = connection;</c>).
/// </summary>
internal sealed class PlaybackConnection(CallingEmulator emulator, PlaybackWebhookListener listener, PlaybackManager playback) : IAsyncDisposable
{
    public void Deconstruct(out CallingEmulator e, out PlaybackWebhookListener l, out PlaybackManager p) => (e, l, p) = (emulator, listener, playback);

    public async ValueTask DisposeAsync()
    {
        await playback.DisposeAsync();
        await listener.DisposeAsync();
        await emulator.DisposeAsync();
    }
}
