using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>Webhooks (states the server reports, duplicates, out of order, for unknown plays) and the ended history.</summary>
public sealed partial class CallPlaybacksTests
{
    // ───────────────────────── Webhooks ─────────────────────────

    /// <summary>
    /// Delivers a <paramref name="status"/> webhook for "p" while its request is in flight: accepted, no reply yet, the flight kept.
    /// Then the request's 2xx (a second later) publishes nothing more, answers with <paramref name="acked"/> and sends nothing.
    /// Returns the webhook's transition.
    /// </summary>
    private static Transition WebhookDuringTheFlightThenItsAck(CallPlaybacks inFlight, string status, DateTimeOffset at, PlaybackState acked)
    {
        var t = inFlight.PlayStatus(Status("p", status, at), at);

        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Empty(t.Replies());
        Assert.NotNull(t.State.InFlight);

        var ack = t.State.RequestSucceeded(at.AddSeconds(1));

        Assert.Empty(ack.Events());
        Assert.Equal(acked, ack.SucceededWith().State);
        ack.NoRequest();
        return t;
    }

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

        var finished = WebhookDuringTheFlightThenItsAck(inFlight, "finished", At(31), PlaybackState.Stopped);

        Assert.Equal("stopped", finished.Published("p", state, PlaybackState.Stopped).Reason);
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

        t.AcceptedWithoutEffect("p", PlaybackState.Playing);
    }

    [Fact]
    public void Duplicate_paused_while_paused_publishes_nothing()
    {
        var t = Paused("p").PlayStatus(Status("p", "paused", Later), Later);

        t.AcceptedWithoutEffect("p", PlaybackState.Paused);
    }

    [Fact]
    public void Playing_webhook_while_starting_makes_it_Playing_and_the_plays_2xx_publishes_nothing_more()
    {
        var early = WebhookDuringTheFlightThenItsAck(Starting("p"), "playing", At(2), PlaybackState.Playing);

        early.Published("p", PlaybackState.Starting, PlaybackState.Playing);
    }

    [Fact]
    public void Paused_webhook_while_starting_is_stale_and_ignored()
    {
        var t = Starting("p").PlayStatus(Status("p", "paused", Later), Later);

        t.AcceptedWithoutEffect("p", PlaybackState.Starting);
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
        // Only the state the command asks for is kept, as evidence that it landed should its answer be lost.
        var asked = (cmd, webhook) is (Cmd.Pause, "paused") or (Cmd.Resume, "playing");
        Assert.Equal(inFlight.InFlight! with { Confirmed = asked }, t.State.InFlight);
    }

    [Theory]
    [InlineData(1, false)] // within the clock-skew allowance of the play's acknowledgement: it may predate the pause
    [InlineData(3, true)]
    public void A_report_confirms_the_command_in_flight_only_when_stamped_beyond_the_clock_skew_allowance(double secondsAfterAck, bool confirmed)
    {
        var inFlight = Playing("p").Decide(Pause("p"), PlayAckAt.AddMilliseconds(100)).State;

        var t = inFlight.PlayStatus(Status("p", "paused", PlayAckAt.AddSeconds(secondsAfterAck)), Later);

        Assert.Equal(confirmed, t.State.InFlight!.Confirmed);
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
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
    [InlineData(0.5)] // a server clock half a second ahead of the host's: the report may still predate the acknowledgement
    [InlineData(2)]
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
    [InlineData(0.2)] // the server's clock 200 ms ahead: sent before the pause, stamped after its acknowledgement
    [InlineData(1.9)]
    public void Playing_webhook_sent_before_an_acknowledged_pause_is_ignored(double secondsAfterAck)
    {
        var t = Paused("p").PlayStatus(Status("p", "playing", PauseAckAt.AddSeconds(secondsAfterAck)), Later);

        Assert.Empty(t.Effects);
        Assert.Equal(PlaybackState.Paused, t.State.StateOf("p"));
    }

    [Fact]
    public void Paused_webhook_newer_than_the_last_acknowledged_command_with_nothing_in_flight_is_adopted()
    {
        var t = Playing("p").PlayStatus(Status("p", "paused", PlayAckAt + CallPlaybacks.ClockSkewAllowance + TimeSpan.FromMilliseconds(1)), Later);

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
        var t = Paused("p").PlayStatus(Status("p", "playing", PauseAckAt.AddSeconds(3)), Later);

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

        t.AcceptedWithoutEffect("p", PlaybackState.Queued);
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
    public void Call_state_ended_with_more_plays_than_the_ended_history_still_takes_the_answer_of_the_evicted_play_in_flight()
    {
        // A queued play started (no caller waits for it) with more queued behind it than the ended history holds: the call's
        // end fails them all and forgets the oldest, the one in flight among them; its answer, whatever it is, still ends
        // the flight without an error (a missing entry must not fail the actor).
        var s = Playing("a");
        for (var i = 0; i < CallPlaybacks.EndedHistory + 5; i++)
        {
            s = s.Decide(Play("q" + i), At(11)).State;
        }

        var starting = s.PlayStatus(Status("a", "finished", At(30)), At(30)).State;
        Assert.Equal("q0", starting.InFlight!.Request.ControlId);

        var ended = starting.CallState(CallStateEvent("ended"), Later).State;
        Assert.False(ended.Playbacks.ContainsKey("q0")); // the oldest ended: out of the history, its request still on the wire

        var answered = ended.RequestSucceeded(Later.AddSeconds(1));
        Assert.Null(answered.State.InFlight);
        var refused = ended.RequestFailed(ApiError("q0"), Later.AddSeconds(1));
        Assert.Null(refused.State.InFlight);
        var unknown = ended.RequestFailed(ApiError("q0", 503).AsMaybeApplied(), Later.AddSeconds(1));
        Assert.Null(unknown.State.InFlight);
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
}
