using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>
/// The transition rules of architecture.md ("The state machine" table and the webhook rules), on the pure
/// <see cref="CallPlaybacks"/> value: no actors, no clock, no I/O.
/// </summary>
public sealed partial class CallPlaybacksTests
{
    // ───────────────────────── Play on an idle call ─────────────────────────

    [Fact]
    public void Play_on_an_idle_call_publishes_Starting_and_sends_the_play_with_its_media_and_options()
    {
        var play = Play("p", volume: -3);

        var t = Idle().Decide(play, PlaySentAt);

        var e = t.Published("p", null, PlaybackState.Starting);
        Assert.Equal(-3, e.Volume);
        Assert.Equal(PlaySentAt, e.Timestamp);
        var request = t.Sent(ApiCommand.Play, "p");
        Assert.Equal(PlayMedia, request.Media);
        Assert.Same(play.Options, request.Options);
        Assert.Empty(t.Replies());
        Assert.Empty(t.Ends());
        Assert.Equal(PlaybackState.Starting, t.State.StateOf("p"));
        Assert.Equal(-3, t.State.Playbacks["p"].Volume);
        Assert.Null(t.Webhook);
    }

    [Fact]
    public void Play_without_a_volume_starts_at_the_API_default_of_zero_dB()
    {
        var t = Idle().Decide(Play("p"), PlaySentAt);

        Assert.Equal(0, t.Published("p", null, PlaybackState.Starting).Volume);
    }

    [Fact]
    public void Play_answered_2xx_becomes_Playing_and_replies_CommandSucceeded()
    {
        var t = Starting("p").RequestSucceeded(PlayAckAt);

        var e = t.Published("p", PlaybackState.Starting, PlaybackState.Playing);
        Assert.Equal(PlayAckAt, e.Timestamp);
        Assert.Equal(new PlaybackSnapshot(CallId, "p", PlaybackState.Playing, 0, null), t.SucceededWith());
        t.NoRequest();
        Assert.Equal(PlayAckAt, t.State.Playbacks["p"].LastAckAt);
    }

    [Fact]
    public void Play_answered_with_a_final_error_fails_with_the_API_reason_and_CommandFailed()
    {
        var error = ApiError("p", 422);

        var t = Starting("p").RequestFailed(error, At(2));

        var e = t.Published("p", PlaybackState.Starting, PlaybackState.Failed);
        Assert.Contains(ServerMessage, e.Reason);
        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.Equal(PlaybackState.Failed, t.State.StateOf("p"));
        Assert.Contains(ServerMessage, t.State.Playbacks["p"].Reason);
        Assert.Contains("p", t.State.Ended);
        Assert.Empty(t.Ends());
        t.NoRequest();
    }

    [Fact]
    public void Play_answered_with_a_transient_error_also_fails_because_retries_belong_to_the_client()
    {
        // The table's "retry" column is the CallingApi pipeline's job; what reaches the state machine is final.
        var error = ApiError("p", 500, "internal error");
        Assert.True(error.IsTransient);

        var t = Starting("p").RequestFailed(error, At(2));

        t.Published("p", PlaybackState.Starting, PlaybackState.Failed);
        Assert.Same(error, t.FailedWith<CallingApiException>());
        t.NoRequest();
        Assert.Empty(t.Ends());
    }

    [Fact]
    public void A_failed_play_leaves_the_call_idle_so_the_next_play_starts_at_once()
    {
        var t = Failed("p").Decide(Play("q"), At(3));

        t.Published("q", null, PlaybackState.Starting);
        t.Sent(ApiCommand.Play, "q");
    }

    // ───────────────────────── Pause / Resume ─────────────────────────

    [Fact]
    public void Pause_while_playing_sends_a_pause_and_its_2xx_makes_it_Paused()
    {
        var sent = Playing("p").Decide(Pause("p"), At(15));

        sent.SentOnly(ApiCommand.Pause, "p");
        Assert.Equal(PlaybackState.Playing, sent.State.StateOf("p"));

        var acked = sent.State.RequestSucceeded(PauseAckAt);

        acked.Published("p", PlaybackState.Playing, PlaybackState.Paused);
        Assert.Equal(PlaybackState.Paused, acked.SucceededWith().State);
        acked.NoRequest();
        Assert.Equal(PauseAckAt, acked.State.Playbacks["p"].LastAckAt);
    }

    [Fact]
    public void Pause_answered_with_a_final_error_stays_Playing_and_the_command_fails()
    {
        var error = ApiError("p", 422, "cannot pause");

        var t = Playing("p").Decide(Pause("p"), At(15)).State.RequestFailed(error, At(16));

        t.FailedKeeping(error, "p", PlaybackState.Playing);
        Assert.Equal(PlayAckAt, t.State.Playbacks["p"].LastAckAt);
    }

    [Fact]
    public void Resume_while_paused_sends_a_resume_and_its_2xx_makes_it_Playing()
    {
        var sent = Paused("p").Decide(Resume("p"), At(25));

        sent.SentOnly(ApiCommand.Resume, "p");

        var acked = sent.State.RequestSucceeded(At(26));

        acked.Published("p", PlaybackState.Paused, PlaybackState.Playing);
        Assert.Equal(PlaybackState.Playing, acked.SucceededWith().State);
        acked.NoRequest();
    }

    [Fact]
    public void Resume_answered_with_a_final_error_stays_Paused_and_the_command_fails()
    {
        var error = ApiError("p", 422, "cannot resume");

        var t = Paused("p").Decide(Resume("p"), At(25)).State.RequestFailed(error, At(26));

        t.FailedKeeping(error, "p", PlaybackState.Paused);
    }

    /// <summary>Pause while paused, resume while playing.</summary>
    [Theory]
    [InlineData(Cmd.Pause, PlaybackState.Paused)]
    [InlineData(Cmd.Resume, PlaybackState.Playing)]
    public void Pause_while_paused_and_resume_while_playing_succeed_without_a_request(Cmd cmd, PlaybackState state)
    {
        var before = InActiveState(state, "p");

        var t = before.Decide(Command(cmd, "p"), At(30));

        Assert.Equal(new PlaybackSnapshot(CallId, "p", state, 0, null), t.SucceededWith());
        t.LeftUnchanged(before);
    }

    // ───────────────────────── Volume / Stop from Playing and Paused ─────────────────────────

    public static TheoryData<PlaybackState> ActiveStates => new() { PlaybackState.Playing, PlaybackState.Paused };

    private static CallPlaybacks InActiveState(PlaybackState state, string id) =>
        state == PlaybackState.Playing ? Playing(id) : Paused(id);

    [Theory]
    [MemberData(nameof(ActiveStates))]
    public void Volume_sends_the_new_level_and_its_2xx_keeps_the_state_and_publishes_a_volume_change(PlaybackState state)
    {
        var sent = InActiveState(state, "p").Decide(Volume("p", -12.5), At(30));

        Assert.Equal(-12.5, sent.Sent(ApiCommand.Volume, "p").Volume);
        Assert.Empty(sent.Events());
        Assert.Empty(sent.Replies());
        Assert.Equal(0, sent.State.Playbacks["p"].Volume);

        var acked = sent.State.RequestSucceeded(At(31));

        var e = Assert.Single(acked.Events());
        AssertEvent(e, "p", state, state, PlaybackChange.Volume);
        Assert.Equal(-12.5, e.Volume);
        Assert.Equal(new PlaybackSnapshot(CallId, "p", state, -12.5, null), acked.SucceededWith());
        Assert.Equal(state, acked.State.StateOf("p"));
        Assert.Equal(-12.5, acked.State.Playbacks["p"].Volume);
        acked.NoRequest();
    }

    [Theory]
    [MemberData(nameof(ActiveStates))]
    public void Volume_answered_with_a_final_error_changes_nothing_and_the_command_fails(PlaybackState state)
    {
        var error = ApiError("p", 422, "volume out of range");

        var t = InActiveState(state, "p").Decide(Volume("p", 9), At(30)).State.RequestFailed(error, At(31));

        Assert.Empty(t.Events());
        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.Equal(state, t.State.StateOf("p"));
        Assert.Equal(0, t.State.Playbacks["p"].Volume);
        t.NoRequest();
    }

    [Theory]
    [MemberData(nameof(ActiveStates))]
    public void Stop_sends_a_stop_and_its_2xx_makes_it_Stopped(PlaybackState state)
    {
        var sent = InActiveState(state, "p").Decide(Stop("p"), At(30));

        sent.SentOnly(ApiCommand.Stop, "p");
        Assert.True(sent.State.Playbacks["p"].StopSent);

        var acked = sent.State.RequestSucceeded(At(31));

        Assert.Equal("stopped", acked.Published("p", state, PlaybackState.Stopped).Reason);
        Assert.Equal(PlaybackState.Stopped, acked.SucceededWith().State);
        Assert.Equal(PlaybackState.Stopped, acked.State.StateOf("p"));
        acked.NoRequest();
    }

    [Theory]
    [MemberData(nameof(ActiveStates))]
    public void Stop_answered_with_a_final_error_changes_nothing_and_a_later_finished_means_Finished(PlaybackState state)
    {
        var error = ApiError("p", 403, "forbidden");

        var t = InActiveState(state, "p").Decide(Stop("p"), At(30)).State.RequestFailed(error, At(31));

        Assert.Empty(t.Events());
        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.Equal(state, t.State.StateOf("p"));
        Assert.False(t.State.Playbacks["p"].StopSent);
        t.NoRequest();

        // The stop was refused, so the server's "finished" is a natural end, not a stop.
        var finished = t.State.PlayStatus(Status("p", "finished", Later), Later);
        finished.Published("p", state, PlaybackState.Finished);
    }
}
