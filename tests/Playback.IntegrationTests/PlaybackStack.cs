using Playback.Emulator;

namespace Playback.IntegrationTests;

/// <summary>The shared <see cref="LoopbackStack"/> as a class fixture: an emulator at speed 20 and a web app with AddPlayback and MapPlaybackWebhooks.</summary>
public sealed class PlaybackStack : IAsyncLifetime
{
    private LoopbackStack _stack = null!;

    public CallingEmulator Emulator => _stack.Emulator;

    public PlaybackManager Playback => _stack.Playback;

    public string WebhookUrl => _stack.WebhookUrl;

    public async Task InitializeAsync() => _stack = await LoopbackStack.StartAsync();

    public string NewCall() => _stack.NewCall();

    public async Task DisposeAsync() => await _stack.DisposeAsync();
}
