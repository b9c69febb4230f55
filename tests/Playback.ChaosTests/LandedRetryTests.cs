using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>
/// The chaos run's rarest interesting case, made deterministic: the server applies a command but the connection drops
/// before the answer, so Playback retries a command that has already landed.
/// </summary>
/// <remarks>Run against both dialects: the retry is refused in each dialect's own way (422 with or without
/// <c>attribute</c>, 422 or 404 for a stop whose play has ended), and the outcome must not depend on which.</remarks>
public sealed class LandedRetryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("reference")]
    [InlineData("independent")]
    public async Task A_retried_play_whose_first_attempt_landed_succeeds_and_starts_once(string dialect)
    {
        await using var stack = await StartAsync(dialect);
        var callId = stack.NewCall();
        stack.Emulator.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", DropConnection = true, AfterApply = true, First = 1 }] });

        var handle = await stack.Playback.PlayAsync(callId, [Media.Ringtone("us")]).WaitAsync(Patience);

        Assert.Equal(PlaybackState.Playing, handle.Current);
        Assert.Equal([0, stack.Emulator.Options.Dialect.ConflictStatus], stack.Emulator.Journal.Requests.Where(r => r.ControlId == handle.ControlId).Select(r => r.Status));
        Assert.Equal("playing", Assert.Single(stack.Emulator.GetPlays(callId)).State);
    }

    [Theory]
    [InlineData("reference")]
    [InlineData("independent")]
    public async Task A_retried_stop_whose_first_attempt_landed_succeeds_and_the_playback_ends_stopped(string dialect)
    {
        await using var stack = await StartAsync(dialect);
        var callId = stack.NewCall();
        var handle = await stack.Playback.PlayAsync(callId, [Media.Ringtone("us")]).WaitAsync(Patience);
        // The stop lands but its answer is lost, and the "finished" webhook that would have told Playback is lost too.
        stack.Emulator.Faults.Set(new FaultPlan
        {
            Commands = [new CommandFaultRule { Command = "calling.play.stop", DropConnection = true, AfterApply = true, First = 1 }],
            Webhooks = [new WebhookFaultRule { Kind = WebhookFaultKind.Drop, State = "finished", First = 1 }],
        });

        var snapshot = await handle.StopAsync().WaitAsync(Patience);

        Assert.Equal(PlaybackState.Stopped, snapshot.State);
        Assert.Equal(PlaybackState.Stopped, (await handle.Completion.WaitAsync(Patience)).State);
        Assert.Equal([0, stack.Emulator.Options.Dialect.InactiveControlStatus], stack.Emulator.Journal.Requests.Where(r => r.ControlId == handle.ControlId && r.Command == "calling.play.stop").Select(r => r.Status));
        Assert.Equal("finished", stack.Emulator.GetPlay(callId, handle.ControlId)!.State);
    }

    private static Task<ChaosStack> StartAsync(string dialect) =>
        ChaosStack.StartAsync(new EmulatorOptions { Speed = 20, Dialect = EmulatorDialect.FromName(dialect) }, s => s with
        {
            RequestTimeout = TimeSpan.FromSeconds(10),
            Resilience = new ResilienceSettings { MaxRetries = 6, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
        });
}
