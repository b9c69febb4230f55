namespace Playback.Emulator.Tests;

/// <summary>
/// An emulator on a virtual clock (<see cref="TimerClock"/>) with a raw client and, when asked, a webhook sink: the
/// arrangement most emulator tests share. Deconstruct it into the names the tests use (<c>var (emu, client, clock) = rig;</c>).
/// </summary>
internal sealed class EmulatorRig : IAsyncDisposable
{
    private EmulatorRig(TimerClock clock, CallingEmulator emulator, WebhookSink? sink)
    {
        Clock = clock;
        Emulator = emulator;
        Client = new EmulatorClient(emulator);
        Sink = sink;
    }

    public TimerClock Clock { get; }

    public CallingEmulator Emulator { get; }

    public EmulatorClient Client { get; }

    public WebhookSink? Sink { get; }

    /// <summary>Starts the emulator (and a sink when <paramref name="sink"/>).</summary>
    /// <param name="sink">Whether to start a webhook sink too.</param>
    /// <param name="start">The clock's start (default: now).</param>
    /// <param name="speed">The emulator's speed (default: its own default).</param>
    public static async Task<EmulatorRig> StartAsync(bool sink = false, DateTimeOffset? start = null, double? speed = null)
    {
        var webhooks = sink ? await WebhookSink.StartAsync() : null;
        var clock = new TimerClock(start ?? DateTimeOffset.UtcNow);
        var options = new EmulatorOptions { Clock = clock };
        return new EmulatorRig(clock, await CallingEmulator.StartAsync(speed is { } s ? new EmulatorOptions { Clock = clock, Speed = s } : options), webhooks);
    }

    public void Deconstruct(out CallingEmulator emu, out EmulatorClient client, out TimerClock clock)
    {
        emu = Emulator;
        client = Client;
        clock = Clock;
    }

    public void Deconstruct(out CallingEmulator emu, out EmulatorClient client, out TimerClock clock, out WebhookSink sink)
    {
        (emu, client, clock) = this;
        sink = Sink ?? throw new InvalidOperationException("The rig was started without a sink.");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Emulator.DisposeAsync();
        if (Sink is not null)
        {
            await Sink.DisposeAsync();
        }
    }
}
