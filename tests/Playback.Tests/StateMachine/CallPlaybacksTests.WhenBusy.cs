using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>WhenBusy (replace, enqueue, reject) and commands while a request is in flight.</summary>
public sealed partial class CallPlaybacksTests
{
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
        t.PublishedInOrder(("a", PlaybackState.Playing, PlaybackState.Stopped), ("q", PlaybackState.Queued, PlaybackState.Starting));
        t.Sent(ApiCommand.Play, "q");
    }

    [Fact]
    public void A_queued_play_whose_play_fails_is_Failed_without_a_reply_and_the_next_one_starts()
    {
        var s = Enqueue(Enqueue(Playing("a"), "q1"), "q2").PlayStatus(Status("a", "finished", Later), Later).State;

        var t = s.RequestFailed(ApiError("q1"), Later.AddSeconds(1));

        Assert.Empty(t.Replies());
        t.PublishedInOrder(("q1", PlaybackState.Starting, PlaybackState.Failed), ("q2", PlaybackState.Queued, PlaybackState.Starting));
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
        t.LeftUnchanged(before);
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
}
