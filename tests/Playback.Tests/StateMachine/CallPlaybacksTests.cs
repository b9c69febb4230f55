using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>
/// The transition rules of architecture.md ("The state machine" table and the webhook rules), on the pure
/// <see cref="CallPlaybacks"/> value: no actors, no clock, no I/O.
/// </summary>
public sealed class CallPlaybacksTests
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

        sent.Sent(ApiCommand.Pause, "p");
        Assert.Empty(sent.Events());
        Assert.Empty(sent.Replies());
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

        Assert.Empty(t.Events());
        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
        Assert.Equal(PlayAckAt, t.State.Playbacks["p"].LastAckAt);
        t.NoRequest();
    }

    [Fact]
    public void Resume_while_paused_sends_a_resume_and_its_2xx_makes_it_Playing()
    {
        var sent = Paused("p").Decide(Resume("p"), At(25));

        sent.Sent(ApiCommand.Resume, "p");
        Assert.Empty(sent.Events());
        Assert.Empty(sent.Replies());

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

        Assert.Empty(t.Events());
        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.Equal(PlaybackState.Paused, t.State.StateOf("p"));
        t.NoRequest();
    }

    [Fact]
    public void Pause_while_paused_succeeds_without_a_request()
    {
        var before = Paused("p");

        var t = before.Decide(Pause("p"), At(30));

        Assert.Equal(new PlaybackSnapshot(CallId, "p", PlaybackState.Paused, 0, null), t.SucceededWith());
        Assert.Empty(t.Requests());
        Assert.Empty(t.Events());
        Assert.Same(before, t.State);
    }

    [Fact]
    public void Resume_while_playing_succeeds_without_a_request()
    {
        var before = Playing("p");

        var t = before.Decide(Resume("p"), At(30));

        Assert.Equal(new PlaybackSnapshot(CallId, "p", PlaybackState.Playing, 0, null), t.SucceededWith());
        Assert.Empty(t.Requests());
        Assert.Empty(t.Events());
        Assert.Same(before, t.State);
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

        sent.Sent(ApiCommand.Stop, "p");
        Assert.Empty(sent.Events());
        Assert.Empty(sent.Replies());
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

    // ───────────────────────── Commands without an active playback ─────────────────────────

    public enum Cmd
    {
        Play,
        Pause,
        Resume,
        Volume,
        Stop,
    }

    public enum Setup
    {
        Unknown,
        Queued,
        Starting,
        Playing,
        Paused,
        Finished,
        Stopped,
        Failed,
        CallGone,
    }

    private static IPlaybackCommand Command(Cmd cmd, string id) => cmd switch
    {
        Cmd.Play => Play(id),
        Cmd.Pause => Pause(id),
        Cmd.Resume => Resume(id),
        Cmd.Volume => Volume(id, 7),
        _ => Stop(id),
    };

    /// <summary>A call on which playback "p" is in <paramref name="setup"/> (for Queued: behind "a", which plays).</summary>
    private static CallPlaybacks Build(Setup setup) => setup switch
    {
        Setup.Unknown => Idle(),
        Setup.Queued => QueuedBehind("a", "p"),
        Setup.Starting => Starting("p"),
        Setup.Playing => Playing("p"),
        Setup.Paused => Paused("p"),
        Setup.Finished => Finished("p"),
        Setup.Stopped => Stopped("p"),
        Setup.Failed => Failed("p"),
        _ => Gone("p"),
    };

    public static TheoryData<Cmd, Setup> ControlsWithoutAnActivePlayback()
    {
        var data = new TheoryData<Cmd, Setup>();
        foreach (var cmd in new[] { Cmd.Pause, Cmd.Resume, Cmd.Volume, Cmd.Stop })
        {
            foreach (var setup in new[] { Setup.Unknown, Setup.Finished, Setup.Stopped, Setup.Failed })
            {
                data.Add(cmd, setup);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ControlsWithoutAnActivePlayback))]
    public void A_control_command_without_an_active_playback_fails_at_once_with_no_active_playback(Cmd cmd, Setup setup)
    {
        var before = Build(setup);

        var t = before.Decide(Command(cmd, "p"), Later);

        var error = t.FailedWith<PlaybackStateException>();
        Assert.Contains("no active playback", error.Message);
        Assert.Equal(CallId, error.CallId);
        Assert.Equal("p", error.ControlId);
        Assert.Equal(setup == Setup.Unknown ? (PlaybackState?)null : Enum.Parse<PlaybackState>(setup.ToString()), error.State);
        Assert.Empty(t.Requests());
        Assert.Empty(t.Events());
        Assert.Same(before, t.State);
    }

    [Theory]
    [InlineData(Cmd.Pause)]
    [InlineData(Cmd.Resume)]
    [InlineData(Cmd.Volume)]
    [InlineData(Cmd.Stop)]
    public void A_control_command_for_an_unknown_id_fails_while_another_playback_plays(Cmd cmd)
    {
        var before = Playing("a");

        var t = before.Decide(Command(cmd, "nope"), Later);

        Assert.Contains("no active playback", t.FailedWith<PlaybackStateException>().Message);
        Assert.Same(before, t.State);
        Assert.Empty(t.Requests());
    }

    [Theory]
    [InlineData(Cmd.Pause)]
    [InlineData(Cmd.Resume)]
    public void Pause_and_resume_on_a_queued_playback_fail_at_once(Cmd cmd)
    {
        var before = QueuedBehind("a", "p");

        var t = before.Decide(Command(cmd, "p"), Later);

        var error = t.FailedWith<PlaybackStateException>();
        Assert.Equal(PlaybackState.Queued, error.State);
        Assert.Contains("queued", error.Message);
        Assert.Empty(t.Requests());
        Assert.Empty(t.Events());
        Assert.Same(before, t.State);
    }

    [Fact]
    public void Stop_on_a_queued_playback_stops_it_without_a_request_and_it_never_starts()
    {
        var t = QueuedBehind("a", "p").Decide(Stop("p"), Later);

        t.Published("p", PlaybackState.Queued, PlaybackState.Stopped);
        Assert.Equal(PlaybackState.Stopped, t.SucceededWith().State);
        t.NoRequest();
        Assert.Empty(t.State.Queue);
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("a"));

        var finished = t.State.PlayStatus(Status("a", "finished", Later.AddSeconds(1)), Later.AddSeconds(1));

        finished.Published("a", PlaybackState.Playing, PlaybackState.Finished);
        finished.NoRequest();
    }

    [Fact]
    public void Volume_on_a_queued_playback_changes_its_volume_without_a_request_and_it_starts_at_that_level()
    {
        var t = QueuedBehind("a", "p").Decide(Volume("p", -20), Later);

        var e = Assert.Single(t.Events());
        AssertEvent(e, "p", PlaybackState.Queued, PlaybackState.Queued, PlaybackChange.Volume);
        Assert.Equal(-20, e.Volume);
        Assert.Equal(new PlaybackSnapshot(CallId, "p", PlaybackState.Queued, -20, null), t.SucceededWith());
        t.NoRequest();

        var started = t.State.PlayStatus(Status("a", "finished", Later.AddSeconds(1)), Later.AddSeconds(1));

        var play = started.Sent(ApiCommand.Play, "p");
        Assert.Equal(-20, play.Options!.Volume);
    }

    [Fact]
    public void Play_with_a_control_id_already_in_use_fails_with_a_state_error()
    {
        var before = Playing("p");

        var t = before.Decide(Play("p"), Later);

        var error = t.FailedWith<PlaybackStateException>();
        Assert.Equal(PlaybackState.Playing, error.State);
        Assert.Contains("already used", error.Message);
        Assert.Empty(t.Requests());
        Assert.Empty(t.Events());
        Assert.Same(before, t.State);
    }

    [Theory]
    [InlineData(PlayConflict.Enqueue)]
    [InlineData(PlayConflict.Replace)]
    [InlineData(PlayConflict.Reject)]
    public void Play_reusing_the_id_of_an_ended_playback_fails_whatever_WhenBusy_says(PlayConflict whenBusy)
    {
        var before = Finished("p");

        var t = before.Decide(Play("p", whenBusy), Later);

        Assert.Equal(PlaybackState.Finished, t.FailedWith<PlaybackStateException>().State);
        Assert.Same(before, t.State);
    }

    // ───────────────────────── CallGoneException (404 on a play): the call is gone ─────────────────────────

    /// <summary>A call where "a" is the target of <paramref name="cmd"/>, with "q" queued behind it (none for Play, which needs an idle call).</summary>
    private static CallPlaybacks ReadyFor(Cmd cmd) => cmd switch
    {
        Cmd.Play => Idle(),
        Cmd.Resume => Enqueue(Paused("a"), "q"),
        _ => QueuedBehind("a", "q"),
    };

    [Theory]
    [InlineData(Cmd.Play)]
    [InlineData(Cmd.Pause)]
    [InlineData(Cmd.Resume)]
    [InlineData(Cmd.Volume)]
    [InlineData(Cmd.Stop)]
    public void A_command_failed_with_CallGoneException_fails_every_playback_ends_the_call_and_fails_the_command(Cmd cmd)
    {
        var sent = ReadyFor(cmd).Decide(Command(cmd, "a"), Later);
        Assert.Single(sent.Requests());
        var gone = NotFound("a", "Not Found");

        var t = sent.State.RequestFailed(gone, Later.AddSeconds(1));

        Assert.Same(gone, t.FailedWith<CallGoneException>());
        var end = Assert.Single(t.Ends());
        Assert.Contains("call gone", end.Reason);
        Assert.Equal(end.Reason, t.State.GoneReason);
        var ids = cmd == Cmd.Play ? new[] { "a" } : ["a", "q"];
        Assert.Equal(ids, t.Events().Select(e => e.ControlId));
        foreach (var e in t.Events())
        {
            Assert.Equal(PlaybackState.Failed, e.State);
            Assert.Contains("call gone", e.Reason);
            Assert.Equal(PlaybackState.Failed, t.State.StateOf(e.ControlId));
        }

        Assert.Empty(t.State.Queue);
        t.NoRequest();
        Assert.True(t.State.IsIdle);
    }

    [Theory]
    [InlineData(Cmd.Play)]
    [InlineData(Cmd.Pause)]
    [InlineData(Cmd.Resume)]
    [InlineData(Cmd.Volume)]
    [InlineData(Cmd.Stop)]
    public void After_a_CallGoneException_every_command_fails_with_CallGoneException_without_a_request(Cmd cmd)
    {
        var before = QueuedBehind("a", "q").Decide(Pause("a"), Later).State.RequestFailed(NotFound("a"), Later).State;

        foreach (var id in new[] { "a", "q", "new" })
        {
            var t = before.Decide(Command(cmd, id), Later.AddSeconds(5));

            var error = t.FailedWith<CallGoneException>();
            Assert.Equal(id, error.ControlId);
            Assert.Contains("call gone", error.Message);
            Assert.Empty(t.Requests());
            Assert.Empty(t.Events());
            Assert.Empty(t.Ends());
            Assert.Same(before, t.State);
        }
    }

    [Fact]
    public void A_404_answering_the_start_of_a_queued_play_fails_the_rest_of_the_queue_without_a_caller_reply()
    {
        var s = Enqueue(Enqueue(Playing("a"), "q1"), "q2");
        var started = s.PlayStatus(Status("a", "finished", Later), Later);
        started.Sent(ApiCommand.Play, "q1");

        var t = started.State.RequestFailed(NotFound("q1"), Later.AddSeconds(1));

        Assert.Empty(t.Replies());
        Assert.Single(t.Ends());
        Assert.Equal(new[] { "q1", "q2" }, t.Events().Select(e => e.ControlId));
        Assert.All(t.Events(), e => Assert.Equal(PlaybackState.Failed, e.State));
        t.NoRequest();
    }

    [Fact]
    public void A_404_answering_a_replacing_stop_fails_both_the_old_and_the_new_playback()
    {
        var sent = Playing("a").Decide(Play("r", PlayConflict.Replace), Later);
        sent.Sent(ApiCommand.Stop, "a");

        var t = sent.State.RequestFailed(NotFound("a"), Later.AddSeconds(1));

        Assert.IsType<CallGoneException>(Assert.IsType<CommandFailed>(Assert.Single(t.Replies())).Error);
        Assert.Single(t.Ends());
        Assert.Equal(PlaybackState.Failed, t.State.StateOf("a"));
        Assert.Equal(PlaybackState.Failed, t.State.StateOf("r"));
        var failedNew = Assert.Single(t.Events(), e => e.ControlId == "r");
        AssertEvent(failedNew, "r", PlaybackState.Queued, PlaybackState.Failed);
        Assert.Contains("call gone", failedNew.Reason);
        t.NoRequest();
        Assert.True(t.State.IsIdle);
    }

    [Fact]
    public void CallGone_fails_every_playback_with_the_reason_and_ends_the_call_once()
    {
        var s = QueuedBehind("a", "q");

        var t = s.CallGone("call gone: deleted", Later);

        Assert.Equal("call gone: deleted", Assert.Single(t.Ends()).Reason);
        Assert.Equal(new[] { "a", "q" }, t.Events().Select(e => e.ControlId));
        Assert.All(t.Events(), e => Assert.Equal("call gone: deleted", e.Reason));
        Assert.Empty(t.Replies());

        var again = t.State.CallGone("call gone: again", Later.AddSeconds(1));

        Assert.Empty(again.Effects);
        Assert.Equal("call gone: deleted", again.State.GoneReason);
    }

    // ───────────────────────── WhenBusy ─────────────────────────

    [Fact]
    public void Enqueue_while_busy_publishes_Queued_and_replies_at_once()
    {
        var t = Playing("a").Decide(Play("q"), Later);

        Assert.Equal(0, t.Published("q", null, PlaybackState.Queued).Volume);
        Assert.Equal(new PlaybackSnapshot(CallId, "q", PlaybackState.Queued, 0, null), t.SucceededWith());
        t.NoRequest();
        Assert.Equal(new[] { "q" }, t.State.Queue);
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("a"));
    }

    [Fact]
    public void Enqueue_is_the_default_also_behind_a_queued_playback()
    {
        var t = QueuedBehind("a", "q1").Decide(Play("q2"), Later);

        t.Published("q2", null, PlaybackState.Queued);
        t.SucceededWith();
        Assert.Equal(new[] { "q1", "q2" }, t.State.Queue);
    }

    [Fact]
    public void A_queued_play_starts_without_a_caller_reply_when_the_current_one_finishes()
    {
        var t = QueuedBehind("a", "q").PlayStatus(Status("a", "finished", Later), Later);

        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Equal(2, t.Events().Length);
        AssertEvent(t.Events()[0], "a", PlaybackState.Playing, PlaybackState.Finished);
        AssertEvent(t.Events()[1], "q", PlaybackState.Queued, PlaybackState.Starting);
        Assert.Equal(PlayMedia, t.Sent(ApiCommand.Play, "q").Media);
        Assert.Empty(t.Replies());
        Assert.Empty(t.State.Queue);

        var acked = t.State.RequestSucceeded(Later.AddSeconds(1));

        acked.Published("q", PlaybackState.Starting, PlaybackState.Playing);
        Assert.Empty(acked.Replies());
        acked.NoRequest();
    }

    [Fact]
    public void A_queued_play_starts_when_the_current_one_is_stopped_and_only_the_stop_is_answered()
    {
        var t = QueuedBehind("a", "q").Decide(Stop("a"), Later).State.RequestSucceeded(Later.AddSeconds(1));

        Assert.Equal(new PlaybackSnapshot(CallId, "a", PlaybackState.Stopped, 0, "stopped"), t.SucceededWith());
        Assert.Equal(2, t.Events().Length);
        AssertEvent(t.Events()[0], "a", PlaybackState.Playing, PlaybackState.Stopped);
        AssertEvent(t.Events()[1], "q", PlaybackState.Queued, PlaybackState.Starting);
        t.Sent(ApiCommand.Play, "q");
    }

    [Fact]
    public void A_queued_play_whose_play_fails_is_Failed_without_a_reply_and_the_next_one_starts()
    {
        var s = Enqueue(Enqueue(Playing("a"), "q1"), "q2").PlayStatus(Status("a", "finished", Later), Later).State;

        var t = s.RequestFailed(ApiError("q1"), Later.AddSeconds(1));

        Assert.Empty(t.Replies());
        Assert.Equal(2, t.Events().Length);
        AssertEvent(t.Events()[0], "q1", PlaybackState.Starting, PlaybackState.Failed);
        AssertEvent(t.Events()[1], "q2", PlaybackState.Queued, PlaybackState.Starting);
        t.Sent(ApiCommand.Play, "q2");
    }

    [Fact]
    public void Reject_while_busy_fails_with_a_state_error_and_keeps_no_entry()
    {
        var before = Playing("a");

        var t = before.Decide(Play("r", PlayConflict.Reject), Later);

        var error = t.FailedWith<PlaybackStateException>();
        Assert.Equal("r", error.ControlId);
        Assert.Null(error.State);
        Assert.Contains("Reject", error.Message);
        Assert.Empty(t.Events());
        Assert.Empty(t.Requests());
        Assert.Same(before, t.State);
        Assert.False(t.State.Playbacks.ContainsKey("r"));
    }

    [Fact]
    public void Reject_on_an_idle_call_plays_normally()
    {
        var t = Idle().Decide(Play("r", PlayConflict.Reject), Later);

        t.Sent(ApiCommand.Play, "r");
        t.Published("r", null, PlaybackState.Starting);
    }

    [Fact]
    public void Replace_stops_the_queue_and_the_current_one_then_plays_and_answers_after_the_plays_2xx()
    {
        var decided = QueuedBehind("a", "q").Decide(Play("r", PlayConflict.Replace), Later);

        Assert.Equal(2, decided.Events().Length);
        AssertEvent(decided.Events()[0], "q", PlaybackState.Queued, PlaybackState.Stopped);
        Assert.Equal("replaced by r", decided.Events()[0].Reason);
        AssertEvent(decided.Events()[1], "r", null, PlaybackState.Queued);
        decided.Sent(ApiCommand.Stop, "a");
        Assert.Empty(decided.Replies());
        Assert.Empty(decided.State.Queue);

        var stopped = decided.State.RequestSucceeded(Later.AddSeconds(1));

        Assert.Equal(2, stopped.Events().Length);
        AssertEvent(stopped.Events()[0], "a", PlaybackState.Playing, PlaybackState.Stopped);
        Assert.Equal("replaced by r", stopped.Events()[0].Reason);
        AssertEvent(stopped.Events()[1], "r", PlaybackState.Queued, PlaybackState.Starting);
        var play = stopped.Sent(ApiCommand.Play, "r");
        Assert.Equal(PlayMedia, play.Media);
        Assert.Equal(PlayConflict.Replace, play.Options!.WhenBusy);
        Assert.Empty(stopped.Replies());

        var playing = stopped.State.RequestSucceeded(Later.AddSeconds(2));

        playing.Published("r", PlaybackState.Starting, PlaybackState.Playing);
        Assert.Equal(new PlaybackSnapshot(CallId, "r", PlaybackState.Playing, 0, null), playing.SucceededWith());
        playing.NoRequest();
    }

    [Fact]
    public void Replace_whose_play_fails_after_the_stop_fails_the_new_playback_and_the_command()
    {
        var s = Playing("a").Decide(Play("r", PlayConflict.Replace), Later).State.RequestSucceeded(Later.AddSeconds(1)).State;
        var error = ApiError("r");

        var t = s.RequestFailed(error, Later.AddSeconds(2));

        t.Published("r", PlaybackState.Starting, PlaybackState.Failed);
        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.Equal(PlaybackState.Stopped, t.State.StateOf("a"));
    }

    [Fact]
    public void Replace_whose_stop_fails_fails_the_new_playback_and_keeps_the_current_one()
    {
        var error = ApiError("a", 403, "forbidden");

        var t = Playing("a").Decide(Play("r", PlayConflict.Replace), Later).State.RequestFailed(error, Later.AddSeconds(1));

        var e = t.Published("r", PlaybackState.Queued, PlaybackState.Failed);
        Assert.Contains("could not stop a", e.Reason);
        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("a"));
        Assert.False(t.State.Playbacks["a"].StopSent);
        t.NoRequest();
    }

    [Fact]
    public void Replace_whose_current_one_reports_finished_before_the_stops_2xx_ends_it_Stopped_once()
    {
        var s = Playing("a").Decide(Play("r", PlayConflict.Replace), Later).State;

        var finished = s.PlayStatus(Status("a", "finished", Later), Later);

        finished.Published("a", PlaybackState.Playing, PlaybackState.Stopped);
        Assert.Empty(finished.Requests());
        Assert.NotNull(finished.State.InFlight);

        var acked = finished.State.RequestSucceeded(Later.AddSeconds(1));

        acked.Published("r", PlaybackState.Queued, PlaybackState.Starting);
        acked.Sent(ApiCommand.Play, "r");
        Assert.Empty(acked.Replies());
    }

    [Fact]
    public void Replace_on_an_idle_call_plays_normally()
    {
        var t = Idle().Decide(Play("r", PlayConflict.Replace), Later);

        t.Published("r", null, PlaybackState.Starting);
        t.Sent(ApiCommand.Play, "r");
        Assert.Empty(t.Replies());
    }

    [Fact]
    public void A_call_that_ends_while_a_replacing_stop_is_in_flight_never_sends_the_new_play()
    {
        var s = Playing("a").Decide(Play("r", PlayConflict.Replace), Later).State;

        var ended = s.CallState(CallStateEvent("ended"), Later);

        Assert.Equal(PlaybackState.Failed, ended.State.StateOf("a"));
        Assert.Equal(PlaybackState.Failed, ended.State.StateOf("r"));
        Assert.Single(ended.Ends());

        var acked = ended.State.RequestSucceeded(Later.AddSeconds(1));

        acked.NoRequest();
        Assert.Empty(acked.Events());
        Assert.IsType<CallGoneException>(Assert.IsType<CommandFailed>(Assert.Single(acked.Replies())).Error);
        Assert.Equal(PlaybackState.Failed, acked.State.StateOf("r"));
    }

    // ───────────────────────── Requests in flight ─────────────────────────

    public static TheoryData<Cmd, string> CommandsDuringAFlight()
    {
        var data = new TheoryData<Cmd, string>();
        foreach (var cmd in Enum.GetValues<Cmd>())
        {
            data.Add(cmd, "p");
            data.Add(cmd, "other");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CommandsDuringAFlight))]
    public void Deciding_a_command_while_a_play_is_in_flight_throws_so_the_actor_stashes_it(Cmd cmd, string id)
    {
        var s = Starting("p");

        Assert.Throws<InvalidOperationException>(() => s.Decide(Command(cmd, id), Later));
    }

    [Theory]
    [MemberData(nameof(CommandsDuringAFlight))]
    public void Deciding_a_command_while_a_pause_is_in_flight_throws_so_the_actor_stashes_it(Cmd cmd, string id)
    {
        var s = Playing("p").Decide(Pause("p"), Later).State;

        Assert.Throws<InvalidOperationException>(() => s.Decide(Command(cmd, id), Later));
    }

    [Fact]
    public void A_request_outcome_with_nothing_in_flight_is_a_programming_error()
    {
        var s = Playing("p");

        Assert.Throws<InvalidOperationException>(() => s.RequestSucceeded(Later));
        Assert.Throws<InvalidOperationException>(() => s.RequestFailed(ApiError("p"), Later));
    }

    // ───────────────────────── Webhooks ─────────────────────────

    [Fact]
    public void Finished_webhook_while_playing_makes_it_Finished()
    {
        var t = Playing("p").PlayStatus(Status("p", "finished", Later), Later);

        Assert.Equal("finished", t.Published("p", PlaybackState.Playing, PlaybackState.Finished).Reason);
        Assert.Equal(new WebhookResult(WebhookStatus.Accepted), t.Webhook);
        Assert.Empty(t.Replies());
        t.NoRequest();
    }

    [Theory]
    [MemberData(nameof(ActiveStates))]
    public void Finished_webhook_after_a_stop_was_sent_makes_it_Stopped_and_the_stops_2xx_changes_nothing(PlaybackState state)
    {
        var inFlight = InActiveState(state, "p").Decide(Stop("p"), At(30)).State;

        var finished = inFlight.PlayStatus(Status("p", "finished", At(31)), At(31));

        Assert.Equal("stopped", finished.Published("p", state, PlaybackState.Stopped).Reason);
        Assert.Equal(WebhookStatus.Accepted, finished.Webhook!.Status);
        Assert.Empty(finished.Replies());
        Assert.NotNull(finished.State.InFlight);

        var acked = finished.State.RequestSucceeded(At(32));

        Assert.Empty(acked.Events());
        Assert.Equal(PlaybackState.Stopped, acked.SucceededWith().State);
        acked.NoRequest();
    }

    [Fact]
    public void Error_webhook_makes_it_Failed()
    {
        var t = Paused("p").PlayStatus(Status("p", "error", Later), Later);

        t.Published("p", PlaybackState.Paused, PlaybackState.Failed);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Equal(PlaybackState.Failed, t.State.StateOf("p"));
    }

    [Fact]
    public void Duplicate_playing_while_playing_publishes_nothing()
    {
        var t = Playing("p").PlayStatus(Status("p", "playing", Later), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
    }

    [Fact]
    public void Duplicate_paused_while_paused_publishes_nothing()
    {
        var t = Paused("p").PlayStatus(Status("p", "paused", Later), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
    }

    [Fact]
    public void Playing_webhook_while_starting_makes_it_Playing_and_the_plays_2xx_publishes_nothing_more()
    {
        var early = Starting("p").PlayStatus(Status("p", "playing", At(2)), At(2));

        early.Published("p", PlaybackState.Starting, PlaybackState.Playing);
        Assert.Equal(WebhookStatus.Accepted, early.Webhook!.Status);
        Assert.Empty(early.Replies());
        Assert.NotNull(early.State.InFlight);

        var acked = early.State.RequestSucceeded(At(3));

        Assert.Empty(acked.Events());
        Assert.Equal(PlaybackState.Playing, acked.SucceededWith().State);
        acked.NoRequest();
    }

    [Fact]
    public void Paused_webhook_while_starting_is_stale_and_ignored()
    {
        var t = Starting("p").PlayStatus(Status("p", "paused", Later), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Equal(PlaybackState.Starting, t.State.StateOf("p"));
    }

    public static TheoryData<PlaybackState, Cmd, string> ContradictionsDuringAFlight => new()
    {
        { PlaybackState.Playing, Cmd.Pause, "paused" },
        { PlaybackState.Playing, Cmd.Stop, "paused" },
        { PlaybackState.Playing, Cmd.Volume, "paused" },
        { PlaybackState.Paused, Cmd.Resume, "playing" },
        { PlaybackState.Paused, Cmd.Stop, "playing" },
        { PlaybackState.Paused, Cmd.Volume, "playing" },
    };

    [Theory]
    [MemberData(nameof(ContradictionsDuringAFlight))]
    public void A_contradicting_webhook_while_a_command_for_that_playback_is_in_flight_is_stale_and_ignored(PlaybackState state, Cmd cmd, string webhook)
    {
        var inFlight = InActiveState(state, "p").Decide(Command(cmd, "p"), At(30)).State;
        Assert.NotNull(inFlight.InFlight);

        var t = inFlight.PlayStatus(Status("p", webhook, Later), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Contains("stale", t.Webhook.Reason);
        Assert.Equal(state, t.State.StateOf("p"));
        Assert.Equal(inFlight.InFlight, t.State.InFlight);
    }

    [Fact]
    public void Paused_webhook_while_a_pause_is_in_flight_is_ignored_and_the_pauses_2xx_still_publishes_once()
    {
        var inFlight = Playing("p").Decide(Pause("p"), At(15)).State;
        var early = inFlight.PlayStatus(Status("p", "paused", At(16)), At(16));
        Assert.Empty(early.Effects);

        var acked = early.State.RequestSucceeded(PauseAckAt);

        acked.Published("p", PlaybackState.Playing, PlaybackState.Paused);
        acked.SucceededWith();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public void Paused_webhook_not_newer_than_the_last_acknowledged_command_is_ignored(double secondsAfterAck)
    {
        var s = Playing("p");

        var t = s.PlayStatus(Status("p", "paused", PlayAckAt.AddSeconds(secondsAfterAck)), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Contains("stale", t.Webhook.Reason);
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public void Playing_webhook_sent_before_an_acknowledged_pause_is_ignored(double secondsAfterAck)
    {
        var t = Paused("p").PlayStatus(Status("p", "playing", PauseAckAt.AddSeconds(secondsAfterAck)), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(PlaybackState.Paused, t.State.StateOf("p"));
    }

    [Fact]
    public void Paused_webhook_newer_than_the_last_acknowledged_command_with_nothing_in_flight_is_adopted()
    {
        var t = Playing("p").PlayStatus(Status("p", "paused", PlayAckAt.AddMilliseconds(1)), Later);

        var e = t.Published("p", PlaybackState.Playing, PlaybackState.Paused);
        Assert.Equal("reported by the server", e.Reason);
        Assert.Equal(Later, e.Timestamp);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Equal(PlaybackState.Paused, t.State.StateOf("p"));
        t.NoRequest();
        Assert.Empty(t.Replies());
    }

    [Fact]
    public void Playing_webhook_newer_than_the_acknowledged_pause_is_adopted()
    {
        var t = Paused("p").PlayStatus(Status("p", "playing", PauseAckAt.AddSeconds(1)), Later);

        t.Published("p", PlaybackState.Paused, PlaybackState.Playing);
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
    }

    [Fact]
    public void An_event_older_than_the_newest_applied_event_is_ignored()
    {
        var paused = Playing("p").PlayStatus(Status("p", "paused", At(50)), At(50));
        paused.Published("p", PlaybackState.Playing, PlaybackState.Paused);

        // Newer than the last acknowledged command (At(10)), but older than the "paused" already applied.
        var older = paused.State.PlayStatus(Status("p", "playing", At(40)), At(51));

        Assert.Empty(older.Effects);
        Assert.Contains("stale", older.Webhook!.Reason);
        Assert.Equal(PlaybackState.Paused, older.State.StateOf("p"));

        var newer = older.State.PlayStatus(Status("p", "playing", At(60)), At(60));

        newer.Published("p", PlaybackState.Paused, PlaybackState.Playing);
    }

    [Fact]
    public void A_contradicting_webhook_without_a_timestamp_after_an_acknowledged_command_is_ignored()
    {
        // It cannot be ordered after the acknowledgement, so the command's word stands.
        var t = Playing("p").PlayStatus(Status("p", "paused", null), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
    }

    [Fact]
    public void Finished_webhook_is_applied_even_when_its_timestamp_is_old()
    {
        var s = Playing("p").PlayStatus(Status("p", "paused", At(50)), At(50)).State;

        var t = s.PlayStatus(Status("p", "finished", At(5)), At(51));

        t.Published("p", PlaybackState.Paused, PlaybackState.Finished);
    }

    [Fact]
    public void A_webhook_for_an_unknown_control_id_is_ignored()
    {
        var before = Playing("p");

        var t = before.PlayStatus(Status("nope", "finished", Later), Later);

        Assert.Equal(WebhookStatus.Ignored, t.Webhook!.Status);
        Assert.Contains("nope", t.Webhook.Reason);
        Assert.Empty(t.Effects);
        Assert.Same(before, t.State);
    }

    [Fact]
    public void A_webhook_with_an_unknown_play_state_is_ignored_before_it_reaches_the_state_machine()
    {
        var (message, result) = WebhookParser.Parse("""{"event":"calling.call.play","params":{"call_id":"call-1","control_id":"p","state":"buffering"}}"""u8.ToArray());

        Assert.Null(message);
        Assert.Equal(WebhookStatus.Ignored, result!.Status);
        Assert.Contains("buffering", result.Reason);
    }

    [Theory]
    [InlineData("finished")]
    [InlineData("error")]
    [InlineData("playing")]
    public void A_webhook_for_a_queued_playback_changes_nothing(string state)
    {
        var t = QueuedBehind("a", "p").PlayStatus(Status("p", state, Later), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Equal(PlaybackState.Queued, t.State.StateOf("p"));
        Assert.Equal(new[] { "p" }, t.State.Queue);
    }

    [Fact]
    public void Call_state_ended_fails_every_playback_with_call_ended_and_ends_the_call()
    {
        var s = Enqueue(QueuedBehind("a", "q1"), "q2");

        var t = s.CallState(CallStateEvent("ended"), Later);

        Assert.Equal(new WebhookResult(WebhookStatus.Accepted), t.Webhook);
        Assert.Equal("call ended", Assert.Single(t.Ends()).Reason);
        Assert.Equal(new[] { "a", "q1", "q2" }, t.Events().Select(e => e.ControlId));
        AssertEvent(t.Events()[0], "a", PlaybackState.Playing, PlaybackState.Failed);
        AssertEvent(t.Events()[1], "q1", PlaybackState.Queued, PlaybackState.Failed);
        AssertEvent(t.Events()[2], "q2", PlaybackState.Queued, PlaybackState.Failed);
        Assert.All(t.Events(), e => Assert.Equal("call ended", e.Reason));
        Assert.Empty(t.State.Queue);
        Assert.Equal("call ended", t.State.GoneReason);
        t.NoRequest();
        Assert.Empty(t.Replies());

        var later = t.State.Decide(Play("new"), Later.AddSeconds(1));

        Assert.Contains("call ended", later.FailedWith<CallGoneException>().Message);
        Assert.Empty(later.Requests());
    }

    [Fact]
    public void Call_state_ended_twice_ends_the_call_once()
    {
        var once = Playing("p").CallState(CallStateEvent("ended"), Later).State;

        var twice = once.CallState(CallStateEvent("ended"), Later.AddSeconds(1));

        Assert.Empty(twice.Effects);
        Assert.Equal(WebhookStatus.Accepted, twice.Webhook!.Status);
    }

    [Fact]
    public void Call_state_ended_while_a_command_is_in_flight_keeps_it_waiting_for_its_one_reply()
    {
        var s = Playing("p").Decide(Pause("p"), Later).State;

        var ended = s.CallState(CallStateEvent("ended"), Later);

        ended.Published("p", PlaybackState.Playing, PlaybackState.Failed);
        Assert.Empty(ended.Replies());
        Assert.NotNull(ended.State.InFlight);

        var acked = ended.State.RequestSucceeded(Later.AddSeconds(1));

        Assert.Single(acked.Replies());
        Assert.Empty(acked.Events());
        acked.NoRequest();
        Assert.Equal(PlaybackState.Failed, acked.State.StateOf("p"));
    }

    [Theory]
    [InlineData("created")]
    [InlineData("ringing")]
    [InlineData("answered")]
    [InlineData("ending")]
    public void Other_call_states_change_nothing(string callState)
    {
        var before = QueuedBehind("a", "q");

        var t = before.CallState(CallStateEvent(callState), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Same(before, t.State);
    }

    // ───────────────────────── Ended history ─────────────────────────

    [Fact]
    public void The_ended_history_is_bounded_and_the_oldest_ids_webhooks_become_ignored()
    {
        var s = Idle();
        for (var i = 0; i <= CallPlaybacks.EndedHistory; i++)
        {
            var now = At(i);
            s = s.Decide(Play($"p{i}"), now).State.RequestSucceeded(now).State;
            s = s.PlayStatus(Status($"p{i}", "finished", now), now).State;
        }

        Assert.Equal(CallPlaybacks.EndedHistory, s.Ended.Count);
        Assert.Equal(CallPlaybacks.EndedHistory, s.Playbacks.Count);
        Assert.Equal("p1", s.Ended[0]);
        Assert.False(s.Playbacks.ContainsKey("p0"));

        var oldest = s.PlayStatus(Status("p0", "finished", Later), Later);
        Assert.Equal(WebhookStatus.Ignored, oldest.Webhook!.Status);

        var remembered = s.PlayStatus(Status("p1", "finished", Later), Later);
        Assert.Equal(WebhookStatus.Accepted, remembered.Webhook!.Status);
        Assert.Empty(remembered.Effects);
    }

    // ───────────────────────── Exhaustive: state × command ─────────────────────────

    public enum Outcome
    {
        /// <summary>A request for the playback is sent; the reply waits for its outcome.</summary>
        SendsRequest,

        /// <summary>CommandSucceeded at once, no request.</summary>
        SucceedsAtOnce,

        /// <summary>CommandFailed(PlaybackStateException) at once, no request, nothing changes.</summary>
        FailsAtOnce,

        /// <summary>CommandFailed(CallGoneException) at once, no request, nothing changes.</summary>
        FailsCallGone,

        /// <summary>A request is in flight: Decide throws, the actor must stash.</summary>
        MustWait,
    }

    private static readonly Dictionary<Setup, Outcome[]> CommandTable = new()
    {
        //                      Play                   Pause                  Resume                 Volume                 Stop
        [Setup.Unknown] = [Outcome.SendsRequest, Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce],
        [Setup.Queued] = [Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.SucceedsAtOnce, Outcome.SucceedsAtOnce],
        [Setup.Starting] = [Outcome.MustWait, Outcome.MustWait, Outcome.MustWait, Outcome.MustWait, Outcome.MustWait],
        [Setup.Playing] = [Outcome.FailsAtOnce, Outcome.SendsRequest, Outcome.SucceedsAtOnce, Outcome.SendsRequest, Outcome.SendsRequest],
        [Setup.Paused] = [Outcome.FailsAtOnce, Outcome.SucceedsAtOnce, Outcome.SendsRequest, Outcome.SendsRequest, Outcome.SendsRequest],
        [Setup.Finished] = [Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce],
        [Setup.Stopped] = [Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce],
        [Setup.Failed] = [Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce, Outcome.FailsAtOnce],
        [Setup.CallGone] = [Outcome.FailsCallGone, Outcome.FailsCallGone, Outcome.FailsCallGone, Outcome.FailsCallGone, Outcome.FailsCallGone],
    };

    public static TheoryData<Setup, Cmd, Outcome> StateCommandTable()
    {
        var data = new TheoryData<Setup, Cmd, Outcome>();
        foreach (var (setup, row) in CommandTable)
        {
            foreach (var cmd in Enum.GetValues<Cmd>())
            {
                data.Add(setup, cmd, row[(int)cmd]);
            }
        }

        return data;
    }

    [Fact]
    public void The_state_command_table_covers_every_state_and_every_command()
    {
        Assert.Equal(Enum.GetValues<Setup>(), CommandTable.Keys.Order());
        Assert.All(CommandTable.Values, row => Assert.Equal(Enum.GetValues<Cmd>().Length, row.Length));
    }

    [Theory]
    [MemberData(nameof(StateCommandTable))]
    public void Every_command_in_every_state_has_its_expected_kind_of_outcome(Setup setup, Cmd cmd, Outcome expected)
    {
        var before = Build(setup);
        var command = Command(cmd, "p");

        if (expected == Outcome.MustWait)
        {
            Assert.Throws<InvalidOperationException>(() => before.Decide(command, Later));
            return;
        }

        var t = before.Decide(command, Later);

        switch (expected)
        {
            case Outcome.SendsRequest:
                var kind = cmd switch
                {
                    Cmd.Play => ApiCommand.Play,
                    Cmd.Pause => ApiCommand.Pause,
                    Cmd.Resume => ApiCommand.Resume,
                    Cmd.Volume => ApiCommand.Volume,
                    _ => ApiCommand.Stop,
                };
                t.Sent(kind, "p");
                Assert.Empty(t.Replies());
                break;
            case Outcome.SucceedsAtOnce:
                Assert.Equal("p", t.SucceededWith().ControlId);
                t.NoRequest();
                break;
            case Outcome.FailsAtOnce:
                Assert.Equal("p", t.FailedWith<PlaybackStateException>().ControlId);
                Assert.Empty(t.Requests());
                Assert.Empty(t.Events());
                Assert.Same(before, t.State);
                break;
            case Outcome.FailsCallGone:
                Assert.Equal("p", t.FailedWith<CallGoneException>().ControlId);
                Assert.Empty(t.Requests());
                Assert.Empty(t.Events());
                Assert.Same(before, t.State);
                break;
        }

        Assert.Empty(t.Ends());
        Assert.Null(t.Webhook);
    }

    // ───────────────────────── Exhaustive: state × webhook ─────────────────────────

    /// <summary>Every play state the parser passes on (it ignores the rest, see the test above).</summary>
    private static readonly string[] WebhookStates = ["playing", "paused", "finished", "error"];

    /// <summary>What a webhook does: the state after it (null: the id is unknown), whether it published, and its result.</summary>
    private static readonly Dictionary<Setup, (PlaybackState? After, WebhookStatus Status)[]> WebhookTable = new()
    {
        //                      playing                                          paused                                          finished                                          error
        [Setup.Unknown] = [(null, WebhookStatus.Ignored), (null, WebhookStatus.Ignored), (null, WebhookStatus.Ignored), (null, WebhookStatus.Ignored)],
        [Setup.Queued] = [(PlaybackState.Queued, WebhookStatus.Accepted), (PlaybackState.Queued, WebhookStatus.Accepted), (PlaybackState.Queued, WebhookStatus.Accepted), (PlaybackState.Queued, WebhookStatus.Accepted)],
        [Setup.Starting] = [(PlaybackState.Playing, WebhookStatus.Accepted), (PlaybackState.Starting, WebhookStatus.Accepted), (PlaybackState.Finished, WebhookStatus.Accepted), (PlaybackState.Failed, WebhookStatus.Accepted)],
        [Setup.Playing] = [(PlaybackState.Playing, WebhookStatus.Accepted), (PlaybackState.Paused, WebhookStatus.Accepted), (PlaybackState.Finished, WebhookStatus.Accepted), (PlaybackState.Failed, WebhookStatus.Accepted)],
        [Setup.Paused] = [(PlaybackState.Playing, WebhookStatus.Accepted), (PlaybackState.Paused, WebhookStatus.Accepted), (PlaybackState.Finished, WebhookStatus.Accepted), (PlaybackState.Failed, WebhookStatus.Accepted)],
        [Setup.Finished] = [(PlaybackState.Finished, WebhookStatus.Accepted), (PlaybackState.Finished, WebhookStatus.Accepted), (PlaybackState.Finished, WebhookStatus.Accepted), (PlaybackState.Finished, WebhookStatus.Accepted)],
        [Setup.Stopped] = [(PlaybackState.Stopped, WebhookStatus.Accepted), (PlaybackState.Stopped, WebhookStatus.Accepted), (PlaybackState.Stopped, WebhookStatus.Accepted), (PlaybackState.Stopped, WebhookStatus.Accepted)],
        [Setup.Failed] = [(PlaybackState.Failed, WebhookStatus.Accepted), (PlaybackState.Failed, WebhookStatus.Accepted), (PlaybackState.Failed, WebhookStatus.Accepted), (PlaybackState.Failed, WebhookStatus.Accepted)],
        [Setup.CallGone] = [(PlaybackState.Failed, WebhookStatus.Accepted), (PlaybackState.Failed, WebhookStatus.Accepted), (PlaybackState.Failed, WebhookStatus.Accepted), (PlaybackState.Failed, WebhookStatus.Accepted)],
    };

    public static TheoryData<Setup, string> StateWebhookPairs()
    {
        var data = new TheoryData<Setup, string>();
        foreach (var setup in Enum.GetValues<Setup>())
        {
            foreach (var webhook in WebhookStates)
            {
                data.Add(setup, webhook);
            }
        }

        return data;
    }

    [Fact]
    public void The_state_webhook_table_covers_every_state_and_every_webhook()
    {
        Assert.Equal(Enum.GetValues<Setup>(), WebhookTable.Keys.Order());
        Assert.All(WebhookTable.Values, row => Assert.Equal(WebhookStates.Length, row.Length));
    }

    [Theory]
    [MemberData(nameof(StateWebhookPairs))]
    public void Every_webhook_in_every_state_has_its_expected_outcome(Setup setup, string webhook)
    {
        var (after, status) = WebhookTable[setup][Array.IndexOf(WebhookStates, webhook)];
        var before = Build(setup);
        var wasInFlight = before.InFlight;

        // Later than every acknowledgement, so only the state rules decide.
        var t = before.PlayStatus(Status("p", webhook, Later), Later);

        Assert.Equal(status, t.Webhook!.Status);
        Assert.Empty(t.Requests());
        Assert.Empty(t.Replies());
        Assert.Empty(t.Ends());
        Assert.Equal(wasInFlight, t.State.InFlight);
        if (after is null)
        {
            Assert.Empty(t.Effects);
            Assert.Same(before, t.State);
            return;
        }

        var from = before.StateOf("p");
        Assert.Equal(after, t.State.StateOf("p"));
        if (after == from)
        {
            Assert.Empty(t.Events());
        }
        else
        {
            t.Published("p", from, after.Value);
        }
    }
}
