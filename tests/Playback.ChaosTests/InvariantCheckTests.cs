using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>The invariant check itself: silent when Playback and the server agree, one line per disagreement otherwise.</summary>
public sealed class InvariantCheckTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private LoopbackStack _stack = null!;
    private PlaybackEventLog _events = null!;

    public async Task InitializeAsync()
    {
        _stack = await ChaosStack.StartAsync(new EmulatorOptions { Speed = 20 }, s => s);
        _events = new PlaybackEventLog(_stack.Playback);
    }

    public async Task DisposeAsync()
    {
        _events.Dispose();
        await _stack.DisposeAsync();
    }

    [Fact]
    public async Task Playing_then_stopped_playbacks_that_the_server_agrees_with_give_no_violation()
    {
        var callId = _stack.NewCall();
        var handle = await _stack.Playback.PlayAsync(callId, [Media.Ringtone("us")]).WaitAsync(Patience);
        await SettleAsync();
        var whilePlaying = Evaluate(Record(callId, [handle.ControlId], handle));

        await handle.StopAsync().WaitAsync(Patience);
        await SettleAsync();

        Assert.Empty(whilePlaying);
        Assert.Empty(Evaluate(Record(callId, [handle.ControlId], handle)));
    }

    [Fact]
    public async Task A_play_running_on_the_server_that_Playback_knows_nothing_of_is_a_ghost()
    {
        var callId = _stack.NewCall();
        Assert.Equal(200, await RawCalls.PlayRingtoneAsync(_stack.Emulator, callId, "ghost"));
        Assert.Equal(200, await RawCalls.PlayRingtoneAsync(_stack.Emulator, callId, "unlisted"));

        var violations = Evaluate(Record(callId, ["ghost"]));

        Assert.Equal([("c", "ghost", "playing"), ("c", "unlisted", "playing")], violations.Select(v => (v.Rule, v.ControlId, v.Server)).Order());
        Assert.StartsWith($"INVARIANT (c) call {callId} control ghost: Playback knows nothing of it; server playing", violations.Single(v => v.ControlId == "ghost").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_play_reported_failed_that_still_plays_on_the_server_breaks_rule_a()
    {
        var callId = _stack.NewCall();
        Assert.Equal(200, await RawCalls.PlayRingtoneAsync(_stack.Emulator, callId, "failed-but-playing"));
        var record = new CallRecord(callId, ["failed-but-playing"], new Dictionary<string, PlaybackHandle>(), new Dictionary<string, string> { ["failed-but-playing"] = "CallingApiException final 422" });

        var violation = Assert.Single(Evaluate(record));

        Assert.Equal("INVARIANT (a) call " + callId + " control failed-but-playing: Playback Failed (CallingApiException final 422) from PlayAsync threw; server playing", violation.ToString());
    }

    [Fact]
    public async Task A_playback_reported_playing_that_the_server_never_had_breaks_rule_b()
    {
        var playingCall = _stack.NewCall();
        var otherCall = _stack.NewCall();
        var handle = await _stack.Playback.PlayAsync(playingCall, [Media.Ringtone("us")]).WaitAsync(Patience);
        await SettleAsync();

        // The handle filed under a call whose server side never had that play: Playback says Playing, the server nothing.
        var violations = Evaluate(Record(otherCall, [handle.ControlId], handle));

        Assert.Equal(["b", "self"], violations.Select(v => v.Rule).Order());
        Assert.All(violations, v => Assert.Equal("never had it", v.Server));
        Assert.Contains("Playback Playing from handle", violations.Single(v => v.Rule == "b").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_end_never_announced_to_Playback_is_left_to_the_watchdog()
    {
        var callId = _stack.NewCall();
        var handle = await _stack.Playback.PlayAsync(callId, [Media.Ringtone("us")]).WaitAsync(Patience);
        await SettleAsync();
        _stack.Emulator.Faults.Set(new FaultPlan { Webhooks = [new WebhookFaultRule { Kind = WebhookFaultKind.Drop, State = "finished" }] });
        Assert.Equal(200, await RawCalls.PostAsync(_stack.Emulator, callId, "calling.play.stop", handle.ControlId));
        await SettleAsync();

        Assert.Equal(PlaybackState.Playing, handle.Current);
        Assert.Equal("finished", _stack.Emulator.GetPlay(callId, handle.ControlId)!.State);
        Assert.Empty(Evaluate(Record(callId, [handle.ControlId], handle)));
    }

    private static CallRecord Record(string callId, IReadOnlyList<string> controlIds, params PlaybackHandle[] handles) =>
        new(callId, controlIds, handles.ToDictionary(h => h.ControlId, StringComparer.Ordinal), new Dictionary<string, string>());

    private IReadOnlyList<InvariantViolation> Evaluate(CallRecord record) =>
        InvariantCheck.Evaluate([record], _stack.Emulator, _stack.Playback, _events, _stack.WebhookUrl);

    private async Task SettleAsync() => Assert.True((await InvariantCheck.SettleAsync(_stack.Emulator, _events, Patience)).Quiescent);
}
