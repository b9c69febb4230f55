using System.Collections.Concurrent;

namespace Playback.IntegrationTests;

/// <summary>Playback → emulator (real HTTP) → signed webhooks → MapPlaybackWebhooks → actor → Rx.</summary>
public sealed class EndToEndTests(PlaybackStack stack) : IClassFixture<PlaybackStack>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_command_round_trips_and_each_state_change_arrives_on_the_rx_stream()
    {
        var callId = stack.NewCall();
        var events = new ConcurrentQueue<PlaybackEvent>();
        using var sub = stack.Playback.EventsFor(callId).Subscribe(events.Enqueue);
        var webhooksBefore = stack.Playback.Statistics.WebhooksAccepted;

        var handle = await stack.Playback.PlayAsync(callId,
            [Media.Tts("Please hold while we connect you."), Media.Silence(1), Media.Audio("https://example.com/hold-music.mp3")],
            new PlayOptions { Loop = 0 });
        await handle.PauseAsync();
        await handle.ResumeAsync();
        await handle.SetVolumeAsync(-12);
        await handle.StopAsync();

        Assert.Equal(PlaybackState.Stopped, (await handle.Completion.WaitAsync(Patience)).State);
        await Eventually.TrueAsync(() => events.Count(e => e.ControlId == handle.ControlId) >= 6, "6 events of the play", Patience);
        Assert.Equal(
            [PlaybackState.Starting, PlaybackState.Playing, PlaybackState.Paused, PlaybackState.Playing, PlaybackState.Playing, PlaybackState.Stopped],
            events.Where(e => e.ControlId == handle.ControlId).Select(e => e.State));
        Assert.Equal(-12, events.Last(e => e.Change == PlaybackChange.Volume).Volume);

        // playing, paused, playing, finished: every webhook was signed, accepted and routed.
        await Eventually.TrueAsync(() => stack.Playback.Statistics.WebhooksAccepted - webhooksBefore >= 4, "4 webhooks accepted", Patience);
        var play = stack.Emulator.GetPlay(callId, handle.ControlId)!;
        Assert.Equal(("finished", -12.0), (play.State, play.Volume));
        var statusUrl = stack.Emulator.Journal.Requests.First(r => r.ControlId == handle.ControlId && r.Command == "calling.play").Body;
        Assert.Contains($"\"status_url\":\"{stack.WebhookUrl}\"", statusUrl);
    }

    [Fact]
    public async Task A_playback_played_to_its_end_finishes_through_its_webhook()
    {
        var handle = await stack.Playback.PlayAsync(stack.NewCall(), [Media.Tts("Hello from the REST API!")]);

        var outcome = await handle.Completion.WaitAsync(Patience);

        Assert.Equal(PlaybackState.Finished, outcome.State);
    }

    [Fact]
    public async Task Unplayable_media_fails_through_the_error_webhook()
    {
        var handle = await stack.Playback.PlayAsync(stack.NewCall(), [Media.Audio("https://unreachable.invalid/greeting.mp3")]);

        var outcome = await handle.Completion.WaitAsync(Patience);

        Assert.Equal(PlaybackState.Failed, outcome.State);
    }

    [Fact]
    public async Task Hanging_up_ends_the_playbacks_through_the_call_state_webhook()
    {
        var callId = stack.NewCall();
        var first = await stack.Playback.PlayAsync(callId, [Media.Ringtone("us")]);
        var queued = await stack.Playback.PlayAsync(callId, [Media.Tts("You are next")]);
        Assert.Equal(PlaybackState.Queued, queued.Current);

        stack.Emulator.EndCall(callId);

        Assert.Equal(PlaybackState.Finished, (await first.Completion.WaitAsync(Patience)).State);
        // The queued play fails either way: from the call-state webhook ("call ended"), or — when the first play's
        // `finished` arrives first and Playback starts the queued one — from the API's 404 ("call gone").
        var ended = await queued.Completion.WaitAsync(Patience);
        Assert.Equal(PlaybackState.Failed, ended.State);
        Assert.True(ended.Reason is "call ended" || ended.Reason!.StartsWith("call gone", StringComparison.Ordinal), ended.Reason);
    }

    [Fact]
    public async Task Two_hundred_concurrent_calls_never_have_two_commands_in_flight_for_one_call()
    {
        var overlapsBefore = stack.Emulator.Journal.Overlaps;
        var rejectedBefore = stack.Playback.Statistics.WebhooksRejected;
        var calls = Enumerable.Range(0, 200).Select(_ => stack.NewCall()).ToList();

        var outcomes = await Task.WhenAll(calls.Select(async callId =>
        {
            var handle = await stack.Playback.PlayAsync(callId, [Media.Ringtone("uk")], new PlayOptions { Volume = -3 });
            // Commands for one call issued concurrently from several tasks: Playback puts them on the wire one at a time.
            await Task.WhenAll(
                Task.Run(() => handle.SetVolumeAsync(-1)),
                Task.Run(() => handle.PauseAsync()),
                Task.Run(() => handle.SetVolumeAsync(-2)));
            await handle.ResumeAsync();
            await handle.StopAsync();
            return await handle.Completion.WaitAsync(Patience);
        })).WaitAsync(TimeSpan.FromSeconds(90));

        Assert.All(outcomes, o => Assert.Equal(PlaybackState.Stopped, o.State));
        Assert.Equal(overlapsBefore, stack.Emulator.Journal.Overlaps);
        Assert.Equal(rejectedBefore, stack.Playback.Statistics.WebhooksRejected);
        var perCall = stack.Emulator.Journal.Requests.Where(r => calls.Contains(r.CallId!)).GroupBy(r => r.CallId).ToList();
        Assert.Equal(200, perCall.Count);
        Assert.All(perCall, g => Assert.Equal(6, g.Count()));
        Assert.All(perCall.SelectMany(g => g), r => Assert.Equal(200, r.Status));
    }
}
