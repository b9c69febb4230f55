using Akka.TestKit.Xunit2;
using Xunit.Abstractions;

namespace Playback.Emulator.Tests;

/// <summary>Playback → emulator over real HTTP → signed webhooks → a webhook endpoint → HandleWebhookAsync → actor → Rx.</summary>
public sealed class EndToEndTests(ITestOutputHelper output) : TestKit("akka.loglevel = WARNING", output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Play_pause_resume_volume_and_stop_reach_the_emulator_and_every_state_comes_back_as_a_signed_webhook()
    {
        await using var connection = await ConnectAsync(speed: 20);
        var (emulator, listener, playback) = connection;
        var callId = emulator.CreateCall(listener.Url);

        var handle = await playback.PlayAsync(callId,
            [Media.Tts("Please hold while we connect you."), Media.Silence(1), Media.Audio("https://example.com/hold-music.mp3")],
            new PlayOptions { Loop = 0, Volume = -3 });
        await listener.WaitForAsync(1, Patience);
        await handle.PauseAsync();
        await listener.WaitForAsync(2, Patience);
        Assert.Equal("paused", emulator.GetPlay(callId, handle.ControlId)!.State);
        await handle.ResumeAsync();
        await listener.WaitForAsync(3, Patience);
        await handle.SetVolumeAsync(6);
        Assert.Equal(6, emulator.GetPlay(callId, handle.ControlId)!.Volume);
        await handle.StopAsync();

        var handled = await listener.WaitForAsync(4, Patience);
        Assert.Equal(["playing", "paused", "playing", "finished"], handled.Select(h => h.State));
        Assert.All(handled, h => Assert.Equal(WebhookStatus.Accepted, h.Result.Status));
        Assert.Equal(PlaybackState.Stopped, (await handle.Completion.WaitAsync(Patience)).State);
        Assert.Equal(
            ["calling.play", "calling.play.pause", "calling.play.resume", "calling.play.volume", "calling.play.stop"],
            emulator.Journal.Requests.Select(r => r.Command));
        Assert.All(emulator.Journal.Requests, r => Assert.Equal(200, r.Status));
        Assert.Equal(0, emulator.Journal.Overlaps);
    }

    [Fact]
    public async Task A_playback_that_plays_to_its_end_is_finished_by_the_webhook()
    {
        await using var connection = await ConnectAsync(speed: 50);
        var (emulator, listener, playback) = connection;
        var callId = emulator.CreateCall(listener.Url);
        var states = new List<PlaybackState>();

        var handle = await playback.PlayAsync(callId, [Media.Tts("Hello from the REST API!")]);
        using var sub = handle.States.Subscribe(s => { lock (states) { states.Add(s); } });

        var outcome = await handle.Completion.WaitAsync(Patience);
        Assert.Equal(PlaybackState.Finished, outcome.State);
        // The listener records a webhook once Playback has answered it, which can be just after the handle completed.
        await AwaitAssertAsync(() => Assert.Contains(listener.Handled, h => h.State == "finished" && h.Result.Status == WebhookStatus.Accepted));
        await AwaitAssertAsync(() => Assert.Equal(PlaybackState.Finished, states.Last()));
    }

    [Fact]
    public async Task Unplayable_media_fails_the_playback_through_the_error_webhook()
    {
        await using var connection = await ConnectAsync(speed: 50);
        var (emulator, listener, playback) = connection;
        var callId = emulator.CreateCall(listener.Url);

        var handle = await playback.PlayAsync(callId, [Media.Silence(0.5), Media.Audio("https://missing.invalid/greeting.mp3")]);

        var outcome = await handle.Completion.WaitAsync(Patience);
        Assert.Equal(PlaybackState.Failed, outcome.State);
        Assert.Contains("error", outcome.Reason);
    }

    [Fact]
    public async Task Hanging_up_ends_the_playbacks_and_later_commands_fail_as_gone()
    {
        await using var connection = await ConnectAsync(speed: 20);
        var (emulator, listener, playback) = connection;
        var callId = emulator.CreateCall(listener.Url);
        var handle = await playback.PlayAsync(callId, [Media.Ringtone("us")]);

        emulator.EndCall(callId);

        var outcome = await handle.Completion.WaitAsync(Patience);
        Assert.Equal(PlaybackState.Finished, outcome.State);
        var handled = await listener.WaitForAsync(3, Patience);
        Assert.Equal(["playing", "finished", "call ended"], handled.Select(h => h.State));

        // Either the call's actor still remembers the end (no request) or a new one asks the API and gets 404.
        var error = await Assert.ThrowsAsync<CallGoneException>(() => playback.PlayAsync(callId, [Media.Tts("anyone there?")]));
        Assert.True(error.StatusCode is null or 404);
    }

    [Fact]
    public async Task The_api_rejects_a_wrong_token_with_a_clear_error_that_does_not_contain_it()
    {
        await using var emulator = await CallingEmulator.StartAsync();
        await using var listener = await PlaybackWebhookListener.StartAsync();
        var settings = Settings(emulator, listener) with { ApiToken = "wrong-token-value" };
        await using var playback = PlaybackManager.Create(Sys, settings);

        var error = await Assert.ThrowsAsync<CallingApiException>(() => playback.PlayAsync(emulator.CreateCall(), [Media.Tts("hi")]));

        Assert.Equal(401, error.StatusCode);
        Assert.False(error.IsTransient);
        Assert.DoesNotContain("wrong-token-value", error.ToString());
        Assert.DoesNotContain(emulator.ApiToken, error.ToString());
    }

    [Fact]
    public async Task Commands_for_many_calls_from_many_tasks_never_overlap_on_one_call()
    {
        await using var connection = await ConnectAsync(speed: 20);
        var (emulator, listener, playback) = connection;
        var calls = Enumerable.Range(0, 20).Select(_ => emulator.CreateCall(listener.Url)).ToList();

        await Task.WhenAll(calls.Select(async callId =>
        {
            var handle = await playback.PlayAsync(callId, [Media.Ringtone("uk")]);
            await Task.WhenAll(
                Task.Run(() => handle.SetVolumeAsync(-1)),
                Task.Run(() => handle.SetVolumeAsync(-2)),
                Task.Run(() => handle.PauseAsync()),
                Task.Run(() => handle.SetVolumeAsync(-3)));
            await handle.StopAsync();
        })).WaitAsync(Patience);

        Assert.Equal(0, emulator.Journal.Overlaps);
        Assert.Equal(20 * 6, emulator.Journal.Requests.Count);
        Assert.All(emulator.Journal.Requests, r => Assert.Equal(200, r.Status));
    }

    /// <summary>An emulator at the speed, a webhook listener, and a Playback manager connected to both.</summary>
    private async Task<PlaybackConnection> ConnectAsync(double speed)
    {
        var emulator = await CallingEmulator.StartAsync(new EmulatorOptions { Speed = speed });
        var listener = await PlaybackWebhookListener.StartAsync();
        return new PlaybackConnection(emulator, listener, Connect(emulator, listener));
    }

    private PlaybackManager Connect(CallingEmulator emulator, PlaybackWebhookListener listener)
    {
        var manager = PlaybackManager.Create(Sys, Settings(emulator, listener));
        listener.Manager = manager;
        return manager;
    }

    /// <summary>Settings for Playback against the emulator, with webhooks to the listener.</summary>
    internal static PlaybackSettings Settings(CallingEmulator emulator, PlaybackWebhookListener listener) => new()
    {
        ProjectId = emulator.ProjectId,
        ApiToken = emulator.ApiToken,
        SigningKey = emulator.SigningKey,
        BaseUrl = emulator.BaseUrl,
        DefaultStatusUrl = new Uri(listener.Url),
        AskTimeout = TimeSpan.FromSeconds(20),
    };
}
