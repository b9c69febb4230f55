using Microsoft.Extensions.Time.Testing;

namespace Playback.Emulator.Tests;

/// <summary>
/// Playback timing on a fake clock with a speed factor: at <c>Speed = 10</c> one media second takes 0.1 s of clock.
/// States are read from the emulator (its truth) before and after advancing the clock; nothing depends on wall time.
/// </summary>
public sealed class TimingTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private CallingEmulator _emu = null!;
    private EmulatorClient _client = null!;
    private string _call = null!;

    public async Task InitializeAsync()
    {
        _emu = await CallingEmulator.StartAsync(new EmulatorOptions { Clock = _clock, Speed = 10, DefaultAudioDuration = TimeSpan.FromSeconds(3) });
        _client = new EmulatorClient(_emu);
        _call = _emu.CreateCall();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _emu.DisposeAsync();
    }

    [Fact]
    public async Task A_2_second_silence_at_speed_10_finishes_only_once_the_clock_has_advanced_0_2_seconds()
    {
        await PlayOkAsync("s", """[{"type":"silence","params":{"duration":2}}]""");
        Assert.Equal("playing", State("s"));
        Assert.Equal(0, Position("s"), 6);

        After(199, "s", "playing", 1.99);

        After(1, "s", "finished", 2);
    }

    [Fact]
    public async Task Pause_freezes_the_position_and_resume_finishes_after_the_remaining_time()
    {
        await PlayThenAdvanceAsync("p", """[{"type":"silence","params":{"duration":2}}]""", TimeSpan.FromMilliseconds(50));

        Assert.Equal(200, (await _client.ControlAsync(_call, "calling.play.pause", "p")).Status);
        Assert.Equal("paused", State("p"));
        Assert.Equal(0.5, Position("p"), 6);

        _clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal("paused", State("p"));
        Assert.Equal(0.5, Position("p"), 6);

        Assert.Equal(200, (await _client.ControlAsync(_call, "calling.play.resume", "p")).Status);
        Assert.Equal("playing", State("p"));
        After(145, "p", "playing", 1.95);

        After(6, "p", "finished", 2);
    }

    [Fact]
    public async Task Pausing_twice_and_resuming_twice_are_harmless_and_keep_one_timeline()
    {
        await PlayThenAdvanceAsync("p", """[{"type":"silence","params":{"duration":1}}]""", TimeSpan.FromMilliseconds(30));
        await _client.ControlAsync(_call, "calling.play.pause", "p");
        await _client.ControlAsync(_call, "calling.play.pause", "p");
        Assert.Equal(0.3, Position("p"), 6);

        await _client.ControlAsync(_call, "calling.play.resume", "p");
        await _client.ControlAsync(_call, "calling.play.resume", "p");
        After(65, "p", "playing");

        After(6, "p", "finished");
    }

    [Fact]
    public async Task Loop_3_of_a_1_second_list_finishes_after_3_seconds_of_media()
    {
        await PlayOkAsync("l", """[{"type":"silence","params":{"duration":1}}]""", ",\"loop\":3");

        After(295, "l", "playing", 2.95);

        After(6, "l", "finished", 3);
    }

    [Fact]
    public async Task Loop_0_plays_forever_until_stopped()
    {
        await PlayThenAdvanceAsync("forever", """[{"type":"silence","params":{"duration":1}}]""", TimeSpan.FromHours(5), ",\"loop\":0");

        Assert.Equal("playing", State("forever"));
        Assert.Equal(5 * 3600 * 10, Position("forever"), 3);

        Assert.Equal(200, (await _client.ControlAsync(_call, "calling.play.stop", "forever")).Status);
        Assert.Equal("finished", State("forever"));
    }

    [Fact]
    public async Task A_ringtone_without_a_duration_never_finishes_and_one_with_a_duration_does()
    {
        await PlayOkAsync("ring", """[{"type":"ringtone","params":{"name":"us"}}]""");
        await PlayOkAsync("ring3", """[{"type":"ringtone","params":{"name":"uk","duration":3}}]""");

        After(295, "ring3", "playing");
        After(6, "ring3", "finished");

        _clock.Advance(TimeSpan.FromHours(24));
        Assert.Equal("playing", State("ring"));
    }

    [Fact]
    public async Task TTS_lasts_its_length_at_15_characters_a_second_and_at_least_half_a_second()
    {
        var thirty = new string('a', 30); // 2 s
        await PlayOkAsync("long", $$$"""[{"type":"tts","params":{"text":"{{{thirty}}}"}}]""");
        await PlayOkAsync("short", """[{"type":"tts","params":{"text":"Hi"}}]"""); // 2/15 s, raised to 0.5 s

        After(45, "short", "playing");
        After(6, "short", "finished");

        _clock.Advance(TimeSpan.FromMilliseconds(145)); // 0.196 s in all
        Assert.Equal("playing", State("long"));
        After(5, "long", "finished");
    }

    [Fact]
    public async Task Audio_lasts_its_duration_query_hint_or_else_DefaultAudioDuration()
    {
        await PlayOkAsync("hinted", """[{"type":"audio","params":{"url":"https://cdn.example.com/a.mp3?x=1&duration=4"}}]""");
        await PlayOkAsync("default", """[{"type":"audio","params":{"url":"https://cdn.example.com/b.mp3"}}]""");

        After(295, "default", "playing");
        After(6, "default", "finished");
        Assert.Equal("playing", State("hinted"));

        _clock.Advance(TimeSpan.FromMilliseconds(95)); // 0.396 s in all
        Assert.Equal("playing", State("hinted"));
        After(5, "hinted", "finished");
    }

    [Fact]
    public async Task A_mixed_list_lasts_the_sum_of_its_items_times_the_loop_count()
    {
        // 0.5 (tts "Hi") + 1 (silence) + 2 (audio hint) = 3.5 s, twice = 7 s = 0.7 s of clock.
        await PlayOkAsync("mix", """
            [{"type":"tts","params":{"text":"Hi"}},{"type":"silence","params":{"duration":1}},{"type":"audio","params":{"url":"https://cdn.example.com/c.wav?duration=2"}}]
            """, ",\"loop\":2");

        After(695, "mix", "playing");
        After(6, "mix", "finished");
    }

    [Fact]
    public async Task Audio_on_a_host_ending_in_invalid_ends_the_play_in_error_when_reached_and_posts_error()
    {
        await using var sink = await WebhookSink.StartAsync();
        await PlayOkAsync("bad", """
            [{"type":"silence","params":{"duration":1}},{"type":"audio","params":{"url":"https://media.invalid/x.mp3"}},{"type":"silence","params":{"duration":5}}]
            """, $",\"status_url\":\"{sink.Url}\"");

        After(95, "bad", "playing");
        After(6, "bad", "error", 1);

        var received = await sink.WaitForAsync(2, Patience);
        Assert.Equal(new[] { "playing", "error" }, received.Select(r => r.State));
        Assert.Equal(422, (await _client.ControlAsync(_call, "calling.play.stop", "bad")).Status);
    }

    [Fact]
    public async Task Audio_on_an_invalid_host_as_the_first_item_fails_at_once_without_playing()
    {
        await using var sink = await WebhookSink.StartAsync();

        var (status, _, _) = await _client.PlayAsync(_call, "bad", """[{"type":"audio","params":{"url":"http://cdn.INVALID/x.mp3"}}]""", sink.Url);

        Assert.Equal(200, status);
        Assert.Equal("error", State("bad"));
        var received = await sink.WaitForAsync(1, Patience);
        Assert.Equal("error", Assert.Single(received).State);
    }

    [Fact]
    public async Task Stop_finishes_a_play_at_once_and_freezes_its_position()
    {
        await PlayOkAsync("s", """[{"type":"silence","params":{"duration":10}}]""");
        _clock.Advance(TimeSpan.FromMilliseconds(40));

        Assert.Equal(200, (await _client.ControlAsync(_call, "calling.play.stop", "s")).Status);
        Assert.Equal("finished", State("s"));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("finished", State("s"));
        Assert.Equal(0.4, Position("s"), 6);
    }

    [Fact]
    public async Task A_play_that_finished_on_its_own_refuses_control_commands_with_422()
    {
        await PlayOkAsync("s", """[{"type":"silence","params":{"duration":1}}]""");
        _clock.Advance(TimeSpan.FromMilliseconds(101));

        var (status, body, _) = await _client.ControlAsync(_call, "calling.play.pause", "s");

        Assert.Equal(422, status);
        Assert.Equal("not_active", body.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Equal(200, (await _client.PlayAsync(_call, "s")).Status);
    }

    private async Task PlayOkAsync(string controlId, string media, string extra = "")
    {
        var (status, body, _) = await _client.PlayAsync(_call, controlId, media, extra: extra);
        Assert.True(status == 200, $"play {controlId} answered {status}: {body}");
    }

    /// <summary>Starts the play, then advances the clock without looking.</summary>
    private async Task PlayThenAdvanceAsync(string controlId, string media, TimeSpan advance, string extra = "")
    {
        await PlayOkAsync(controlId, media, extra);
        _clock.Advance(advance);
    }

    private string State(string controlId) => (_emu.GetPlay(_call, controlId) ?? throw new InvalidOperationException($"no play {controlId}")).State;

    private double Position(string controlId) => _emu.GetPlay(_call, controlId)!.PositionSeconds;

    /// <summary>Advances the clock by <paramref name="ms"/> milliseconds, then asserts the play's state (and position, in media seconds).</summary>
    private void After(double ms, string controlId, string state, double? position = null)
    {
        _clock.Advance(TimeSpan.FromMilliseconds(ms));
        Assert.Equal(state, State(controlId));
        if (position is { } expected)
        {
            Assert.Equal(expected, Position(controlId), 6);
        }
    }
}
