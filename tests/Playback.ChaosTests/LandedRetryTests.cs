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

    public static TheoryData<string> Dialects => new() { "reference", "independent" };

    /// <remarks>
    /// The reference dialect's refusal names <c>attribute: "control_id"</c>, which says the first attempt landed, so the
    /// play succeeds. The independent dialect's refusal says nothing: unless the "playing" webhook arrives first, Playback
    /// may stop the play and report it failed. Either way the play starts once and Playback agrees with the server.
    /// </remarks>
    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_retried_play_whose_first_attempt_landed_starts_once_and_Playback_agrees_with_the_server(string dialect)
    {
        await using var stack = await StartAsync(dialect);
        var callId = stack.NewCall();
        stack.Emulator.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", DropConnection = true, AfterApply = true, First = 1 }] });

        PlaybackHandle? handle = null;
        try
        {
            handle = await stack.Playback.PlayAsync(callId, [Media.Ringtone("us")], new PlayOptions { ControlId = "landed" }).WaitAsync(Patience);
        }
        catch (CallingApiException) when (dialect == "independent")
        {
            // Reported failed: then it must have been stopped first (below).
        }

        var plays = stack.Emulator.Journal.Requests.Where(r => r.ControlId == "landed" && r.Command == "calling.play").Select(r => r.Status).ToList();
        Assert.Equal(0, plays[0]);
        Assert.All(plays.Skip(1), s => Assert.Equal(stack.Emulator.Options.Dialect.ConflictStatus, s));
        var server = Assert.Single(stack.Emulator.GetPlays(callId));
        if (handle is not null)
        {
            Assert.Equal(PlaybackState.Playing, handle.Current);
            Assert.Equal("playing", server.State);
        }
        else
        {
            Assert.Equal("finished", server.State);
        }
    }

    [Theory]
    [MemberData(nameof(Dialects))]
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
        var stops = stack.Emulator.Journal.Requests.Where(r => r.ControlId == handle.ControlId && r.Command == "calling.play.stop").Select(r => r.Status).ToList();
        Assert.Equal(0, stops[0]);
        Assert.All(stops.Skip(1), s => Assert.Equal(stack.Emulator.Options.Dialect.InactiveControlStatus, s));
        Assert.Equal("finished", stack.Emulator.GetPlay(callId, handle.ControlId)!.State);
    }

    private static Task<LoopbackStack> StartAsync(string dialect) =>
        ChaosStack.StartAsync(new EmulatorOptions { Speed = 20, Dialect = EmulatorDialect.FromName(dialect) }, s => s with
        {
            RequestTimeout = TimeSpan.FromSeconds(10),
            Resilience = new ResilienceSettings { MaxRetries = 6, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
        });
}
