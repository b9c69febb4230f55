using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>
/// The chaos run's rarest interesting case, made deterministic: the server applies a command but the connection drops
/// before the answer, so Playback retries a command that has already landed.
/// </summary>
public sealed class LandedRetryTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private ChaosStack _stack = null!;

    public async Task InitializeAsync() =>
        _stack = await ChaosStack.StartAsync(new EmulatorOptions { Speed = 20 }, s => s with
        {
            RequestTimeout = TimeSpan.FromSeconds(10),
            Resilience = new ResilienceSettings { MaxRetries = 6, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
        });

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task A_retried_play_whose_first_attempt_landed_succeeds_and_starts_once()
    {
        var callId = _stack.NewCall();
        _stack.Emulator.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", DropConnection = true, AfterApply = true, First = 1 }] });

        var handle = await _stack.Playback.PlayAsync(callId, [Media.Ringtone("us")]).WaitAsync(Patience);

        Assert.Equal(PlaybackState.Playing, handle.Current);
        Assert.Equal([0, 422], _stack.Emulator.Journal.Requests.Where(r => r.ControlId == handle.ControlId).Select(r => r.Status));
        Assert.Equal("playing", Assert.Single(_stack.Emulator.GetPlays(callId)).State);
    }

    [Fact]
    public async Task A_retried_stop_whose_first_attempt_landed_succeeds_and_the_playback_ends_stopped()
    {
        var callId = _stack.NewCall();
        var handle = await _stack.Playback.PlayAsync(callId, [Media.Ringtone("us")]).WaitAsync(Patience);
        // The stop lands but its answer is lost, and the "finished" webhook that would have told Playback is lost too.
        _stack.Emulator.Faults.Set(new FaultPlan
        {
            Commands = [new CommandFaultRule { Command = "calling.play.stop", DropConnection = true, AfterApply = true, First = 1 }],
            Webhooks = [new WebhookFaultRule { Kind = WebhookFaultKind.Drop, State = "finished", First = 1 }],
        });

        var snapshot = await handle.StopAsync().WaitAsync(Patience);

        Assert.Equal(PlaybackState.Stopped, snapshot.State);
        Assert.Equal(PlaybackState.Stopped, (await handle.Completion.WaitAsync(Patience)).State);
        Assert.Equal([0, 422], _stack.Emulator.Journal.Requests.Where(r => r.ControlId == handle.ControlId && r.Command == "calling.play.stop").Select(r => r.Status));
        Assert.Equal("finished", _stack.Emulator.GetPlay(callId, handle.ControlId)!.State);
    }
}
