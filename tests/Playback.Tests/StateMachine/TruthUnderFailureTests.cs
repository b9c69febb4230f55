using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>
/// The truth-under-failure rules on the pure state machine: what Playback reports never disagrees with what the server
/// plays, whatever a refusal says. Each refusal is tried in several plausible servers' forms; none is read for its wording.
/// </summary>
public sealed class TruthUnderFailureTests
{
    /// <summary>Final answers a retry can get, as different servers word them (the state machine may read only status and <c>errors[].attribute</c>).</summary>
    public static TheoryData<string> Refusals => new() { "reference-422", "other-422", "bare-422", "404", "400" };

    // ───────────────────────── 1. A play whose outcome is unknown ─────────────────────────

    [Theory]
    [InlineData("playing", PlaybackState.Playing)]
    [InlineData("finished", PlaybackState.Finished)]
    [InlineData("error", PlaybackState.Failed)]
    public void A_webhook_during_an_unknown_play_proves_it_landed_and_the_caller_gets_the_playback(string webhook, PlaybackState expected)
    {
        var heard = Starting("p").PlayStatus(Status("p", webhook, At(2)), At(2)).State;

        var t = heard.RequestFailed(Unknown(CallingApi.Commands.Play, "p", "bare-422"), At(3));

        Assert.Equal(expected, t.SucceededWith().State);
        Assert.Equal(expected, t.State.StateOf("p"));
        t.NoRequest();
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_paused_webhook_during_an_unknown_play_also_proves_it_landed(string refusal)
    {
        var heard = Starting("p").PlayStatus(Status("p", "paused", At(2)), At(2)).State;

        var t = heard.RequestFailed(Unknown(CallingApi.Commands.Play, "p", refusal), At(3));

        Assert.Equal(PlaybackState.Playing, t.SucceededWith().State);
        t.NoRequest();
    }

    [Fact]
    public void A_retry_refused_for_its_control_id_attribute_is_taken_as_landed()
    {
        var t = WatchedStarting("p").RequestFailed(Unknown(CallingApi.Commands.Play, "p", "reference-422"), At(3));

        var playback = t.SucceededWith();
        Assert.Equal(PlaybackState.Playing, playback.State);
        Assert.Contains("unconfirmed", playback.Reason);
        Assert.Contains(t.Effects.OfType<Watch>(), w => w.ControlId == "p" && w.On);
        t.NoRequest();
    }

    [Theory]
    [InlineData("other-422")]
    [InlineData("bare-422")]
    [InlineData("400")]
    [InlineData("deadline")]
    public void Without_evidence_an_unknown_play_is_stopped_before_it_is_reported_failed(string refusal)
    {
        var error = Unknown(CallingApi.Commands.Play, "p", refusal);

        var settling = Starting("p").RequestFailed(error, At(3));

        settling.Sent(ApiCommand.Stop, "p");
        Assert.Empty(settling.Replies());
        Assert.Empty(settling.Events());
        Assert.Equal(PlaybackState.Starting, settling.State.StateOf("p"));

        var stopped = settling.State.RequestSucceeded(At(4));

        var failed = stopped.Published("p", PlaybackState.Starting, PlaybackState.Failed);
        Assert.Contains("Playback stopped it", failed.Reason);
        Assert.Same(error, stopped.FailedWith<CallingApiException>());
        stopped.NoRequest();
    }

    [Theory]
    [InlineData("404")]
    [InlineData("other-422")]
    [InlineData("bare-422")]
    public void An_unknown_play_whose_settling_stop_finds_nothing_is_failed(string stopRefusal)
    {
        var error = Unknown(CallingApi.Commands.Play, "p", "bare-422");
        var settling = Starting("p").RequestFailed(error, At(3)).State;

        var t = settling.RequestFailed(Refusal(CallingApi.Commands.Stop, "p", stopRefusal), At(4));

        t.Published("p", PlaybackState.Starting, PlaybackState.Failed);
        Assert.Same(error, t.FailedWith<CallingApiException>());
        t.NoRequest();
    }

    /// <summary>
    /// The settling stop found nothing to stop (so the play was reported failed), and then the play runs: it reached the
    /// server after that stop (an overloaded server, or another of its nodes). Playback stops it, once the request in
    /// flight is answered, and again later while the server cannot be reached; it stays failed.
    /// </summary>
    [Theory]
    [InlineData("playing", null, false)]
    [InlineData("paused", "404", false)]
    [InlineData("playing", "deadline", true)]
    public void A_play_reported_failed_that_then_runs_is_stopped(string webhook, string? stopAnswer, bool triedAgain)
    {
        var failed = ReportedFailedAfterSettling();
        Assert.Equal(PlaybackState.Failed, failed.StateOf("p"));
        Assert.True(failed.IsIdle);

        var late = failed.PlayStatus(Status("p", webhook, At(9)), At(9));

        late.Sent(ApiCommand.Stop, "p");
        Assert.Empty(late.Events());
        Assert.Empty(late.Replies());
        var t = stopAnswer is null
            ? late.State.RequestSucceeded(At(10))
            : late.State.RequestFailed(stopAnswer == "404" ? Refusal(CallingApi.Commands.Stop, "p", "404") : Unknown(CallingApi.Commands.Stop, "p", stopAnswer), At(10));

        Assert.Empty(t.Events());
        Assert.Empty(t.Replies());
        Assert.Equal(PlaybackState.Failed, t.State.StateOf("p"));
        Assert.Equal(triedAgain, t.Effects.OfType<SettleLater>().Any());
        Assert.Equal(!triedAgain, t.State.IsIdle);
        if (triedAgain)
        {
            t.State.SettleAgain("p", At(20)).Sent(ApiCommand.Stop, "p");
            Assert.Contains(t.State.TimersToArm(), e => e is SettleLater { ControlId: "p" });
        }
    }

    [Theory]
    [InlineData("finished")]
    [InlineData("error")]
    [InlineData("call-ended")]
    public void A_stop_owed_to_a_play_reported_failed_is_moot_once_it_or_its_call_ends(string news)
    {
        var owing = ReportedFailedAfterSettling()
            .PlayStatus(Status("p", "playing", At(9)), At(9)).State
            .RequestFailed(Unknown(CallingApi.Commands.Stop, "p", "deadline"), At(10)).State;
        Assert.False(owing.IsIdle);

        var t = news == "call-ended" ? owing.CallState(CallStateEvent("ended"), At(11)) : owing.PlayStatus(Status("p", news, At(11)), At(11));

        Assert.True(t.State.IsIdle); // passivated, and pruned from a store, as any ended call
        t.State.SettleAgain("p", At(20)).NoRequest();
        Assert.Empty(t.State.TimersToArm().OfType<SettleLater>());
        Assert.Equal(PlaybackState.Failed, t.State.StateOf("p"));
    }

    /// <summary>An owed stop whose request ended without an answer from the server (Playback shutting down) is still owed.</summary>
    [Fact]
    public void A_stop_owed_to_a_play_reported_failed_stays_owed_when_its_request_gets_no_answer()
    {
        var sending = ReportedFailedAfterSettling()
            .PlayStatus(Status("p", "playing", At(9)), At(9)).State;

        var t = sending.RequestFailed(new PlaybackShutdownException("shutting down", CallId, "p"), At(10));

        Assert.False(t.State.IsIdle);
        Assert.Contains(t.State.TimersToArm(), e => e is SettleLater { ControlId: "p" });
    }

    /// <summary>Playbacks that end later push the oldest out of the ended history; one still owed a stop stays until it is settled.</summary>
    [Fact]
    public void A_stop_owed_to_a_play_reported_failed_survives_the_ended_history()
    {
        var state = ReportedFailedAfterSettling()
            .PlayStatus(Status("p", "playing", At(9)), At(9)).State
            .RequestFailed(Unknown(CallingApi.Commands.Stop, "p", "deadline"), At(10)).State;

        for (var i = 0; i < 100; i++)
        {
            var id = "other-" + i;
            state = state.Decide(Play(id), At(20 + i)).State.RequestSucceeded(At(20 + i)).State
                .PlayStatus(Status(id, "finished", At(20.5 + i)), At(20.5 + i)).State;
        }

        Assert.DoesNotContain("other-0", state.Playbacks.Keys); // the history is bounded
        Assert.True(state.Playbacks["p"].Unconfirmed);
        state.SettleAgain("p", At(200)).Sent(ApiCommand.Stop, "p");
    }

    [Fact]
    public void A_play_reported_failed_that_then_runs_while_a_request_is_in_flight_is_stopped_after_it()
    {
        var failed = ReportedFailedAfterSettling();
        var busy = failed.Decide(Play("q"), At(5)).State;

        var late = busy.PlayStatus(Status("p", "playing", At(6)), At(6));

        Assert.Empty(late.Requests());
        Assert.Contains(late.Effects.OfType<SettleLater>(), e => e.ControlId == "p");
        late.State.RequestSucceeded(At(7)).State.SettleAgain("p", At(12)).Sent(ApiCommand.Stop, "p");
    }

    [Fact]
    public void An_unknown_play_whose_settling_stop_is_unknown_too_is_tracked_as_playing_and_the_caller_hears_the_unknown_failure()
    {
        var error = Unknown(CallingApi.Commands.Play, "p", "deadline");
        var settling = WatchedStarting("p").RequestFailed(error, At(3)).State;

        var t = settling.RequestFailed(Unknown(CallingApi.Commands.Stop, "p", "deadline"), At(50));

        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.True(error.MayHaveBeenApplied);
        var playing = t.Published("p", PlaybackState.Starting, PlaybackState.Playing);
        Assert.Contains("unconfirmed", playing.Reason);
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
        Assert.Contains(t.Effects.OfType<Watch>(), w => w.ControlId == "p" && w.On);
        Assert.True(t.State.Playbacks["p"].Settling);
        Assert.Contains(t.Effects.OfType<SettleLater>(), e => e.ControlId == "p");

        // If the stop did land after all, its finished webhook ends the playback as failed: Playback stopped it.
        var finished = t.State.PlayStatus(Status("p", "finished", At(60)), At(60));
        Assert.Contains("Playback stopped it", finished.Published("p", PlaybackState.Playing, PlaybackState.Failed).Reason);

        // The watchdog never fails it on silence alone: it may be playing.
        var silent = t.State.StatusTimedOut("p", At(700));
        Assert.Empty(silent.Events());
        Assert.Contains(silent.Effects.OfType<Watch>(), w => w.ControlId == "p" && w.On);
    }

    [Theory]
    [InlineData("pause")]
    [InlineData("volume")]
    public void An_unconfirmed_play_owes_no_stop_once_a_command_for_it_is_accepted(string command)
    {
        // The play's outcome was unknown and its settling stop failed too: tracked as playing, owing a stop. A 2xx to your
        // pause (or volume) shows it live on the server: the owed stop would end what you just changed.
        var unconfirmed = Starting("p").RequestFailed(Unknown(CallingApi.Commands.Play, "p", "deadline"), At(3)).State
            .RequestFailed(Unknown(CallingApi.Commands.Stop, "p", "deadline"), At(50)).State;
        Assert.True(unconfirmed.Playbacks["p"].OwesStop);

        var accepted = unconfirmed.Decide(command == "pause" ? Pause("p") : Volume("p"), At(60)).State.RequestSucceeded(At(61)).State;

        Assert.False(accepted.Playbacks["p"].OwesStop);
        accepted.SettleAgain("p", At(65)).NoRequest();
        var finished = accepted.PlayStatus(Status("p", "finished", At(90)), At(90));
        Assert.Equal("finished", finished.Published("p", command == "pause" ? PlaybackState.Paused : PlaybackState.Playing, PlaybackState.Finished).Reason);
    }

    [Theory]
    [InlineData(null, PlaybackState.Failed)]
    [InlineData("404", PlaybackState.Failed)]
    [InlineData("deadline", PlaybackState.Playing)]
    public void The_stop_of_an_unconfirmed_play_is_tried_again_until_the_server_settles_it(string? stopAnswer, PlaybackState expected)
    {
        var unconfirmed = Starting("p").RequestFailed(Unknown(CallingApi.Commands.Play, "p", "deadline"), At(3)).State
            .RequestFailed(Unknown(CallingApi.Commands.Stop, "p", "deadline"), At(50)).State;

        var again = unconfirmed.SettleAgain("p", At(55));

        again.Sent(ApiCommand.Stop, "p");
        Assert.Empty(again.Replies());
        var t = stopAnswer is null
            ? again.State.RequestSucceeded(At(56))
            : again.State.RequestFailed(stopAnswer == "404" ? Refusal(CallingApi.Commands.Stop, "p", "404") : Unknown(CallingApi.Commands.Stop, "p", stopAnswer), At(56));

        Assert.Empty(t.Replies());
        Assert.Equal(expected, t.State.StateOf("p"));
        Assert.Equal(expected == PlaybackState.Playing, t.Effects.OfType<SettleLater>().Any());
    }

    [Fact]
    public void A_webhook_confirms_an_unconfirmed_play_and_no_stop_is_tried_again()
    {
        var unconfirmed = Starting("p").RequestFailed(Unknown(CallingApi.Commands.Play, "p", "deadline"), At(3)).State
            .RequestFailed(Unknown(CallingApi.Commands.Stop, "p", "deadline"), At(50)).State;

        var heard = unconfirmed.PlayStatus(Status("p", "playing", At(51)), At(51)).State;

        heard.SettleAgain("p", At(55)).NoRequest();
        Assert.Equal(PlaybackState.Playing, heard.StateOf("p"));
    }

    [Fact]
    public void A_playing_webhook_during_the_settling_stop_does_not_keep_a_stopped_play_alive()
    {
        var settling = Starting("p").RequestFailed(Unknown(CallingApi.Commands.Play, "p", "bare-422"), At(3)).State;
        var heard = settling.PlayStatus(Status("p", "playing", At(2)), At(4)).State;

        var t = heard.RequestSucceeded(At(5));

        Assert.Equal(PlaybackState.Failed, t.State.StateOf("p"));
        t.FailedWith<CallingApiException>();
    }

    [Fact]
    public void A_finished_webhook_during_the_settling_stop_fails_the_play_never_stops_it()
    {
        var settling = Starting("p").RequestFailed(Unknown(CallingApi.Commands.Play, "p", "bare-422"), At(3)).State;

        var finished = settling.PlayStatus(Status("p", "finished", At(4)), At(4));
        var t = finished.State.RequestFailed(Unknown(CallingApi.Commands.Stop, "p", "404"), At(5));

        Assert.Contains("Playback stopped it", finished.Published("p", PlaybackState.Starting, PlaybackState.Failed).Reason);
        t.FailedWith<CallingApiException>();
        Assert.Empty(t.Events());
    }

    [Fact]
    public void Your_stop_of_an_unconfirmed_play_ends_it_stopped()
    {
        var unconfirmed = Starting("p").RequestFailed(Unknown(CallingApi.Commands.Play, "p", "deadline"), At(3)).State
            .RequestFailed(Unknown(CallingApi.Commands.Stop, "p", "deadline"), At(50)).State;

        var t = unconfirmed.Decide(Stop("p"), At(51)).State.RequestSucceeded(At(52));

        Assert.Equal(PlaybackState.Stopped, t.SucceededWith().State);
    }

    [Fact]
    public void A_refused_play_whose_attempts_were_all_answered_fails_at_once_without_a_stop()
    {
        var error = Refusal(CallingApi.Commands.Play, "p", "bare-422");

        var t = Starting("p").RequestFailed(error, At(3));

        t.Published("p", PlaybackState.Starting, PlaybackState.Failed);
        Assert.Same(error, t.FailedWith<CallingApiException>());
        t.NoRequest();
    }

    [Fact]
    public void A_settled_play_lets_the_queue_go_on()
    {
        var started = Enqueue(Enqueue(Playing("a"), "p"), "q").PlayStatus(Status("a", "finished", Later), Later);
        started.Sent(ApiCommand.Play, "p");
        var settling = started.State.RequestFailed(Unknown(CallingApi.Commands.Play, "p", "bare-422"), Later.AddSeconds(1));
        settling.Sent(ApiCommand.Stop, "p");
        Assert.Empty(settling.Replies());

        var t = settling.State.RequestSucceeded(Later.AddSeconds(2));

        Assert.Equal(PlaybackState.Failed, t.State.StateOf("p"));
        Assert.Empty(t.Replies());
        t.Sent(ApiCommand.Play, "q");
    }

    // ───────────────────────── 4. A 404 on a control command ends that playback only ─────────────────────────

    [Theory]
    [InlineData(CallingApi.Commands.Pause)]
    [InlineData(CallingApi.Commands.Resume)]
    [InlineData(CallingApi.Commands.Volume)]
    public void A_404_on_pause_resume_or_volume_fails_that_playback_only_and_the_queue_goes_on(string command)
    {
        var s = command == CallingApi.Commands.Resume ? Enqueue(Paused("a"), "q") : QueuedBehind("a", "q");
        var sent = s.Decide(command switch
        {
            CallingApi.Commands.Pause => Pause("a"),
            CallingApi.Commands.Resume => Resume("a"),
            _ => Volume("a"),
        }, Later);
        var error = Refusal(command, "a", "404");

        var t = sent.State.RequestFailed(error, Later.AddSeconds(1));

        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.Empty(t.Ends());
        Assert.Null(t.State.GoneReason);
        Assert.Equal(PlaybackState.Failed, t.State.StateOf("a"));
        Assert.Contains("404", t.State.Playbacks["a"].Reason);
        t.Sent(ApiCommand.Play, "q");
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_404_or_422_on_a_first_stop_ends_the_playback_as_stopped_at_once(string refusal)
    {
        if (refusal is "400")
        {
            return;
        }

        var sent = QueuedBehind("a", "q").Decide(Stop("a"), Later);

        var t = sent.State.RequestFailed(Refusal(CallingApi.Commands.Stop, "a", refusal), Later.AddSeconds(1));

        Assert.Equal(PlaybackState.Stopped, t.SucceededWith().State);
        Assert.Equal(PlaybackState.Stopped, t.State.StateOf("a"));
        Assert.Empty(t.Ends());
        t.Sent(ApiCommand.Play, "q");
    }

    [Fact]
    public void A_404_on_pause_after_a_stop_whose_outcome_was_unknown_means_stopped()
    {
        var unknownStop = Playing("a").Decide(Stop("a"), Later).State.RequestFailed(Unknown(CallingApi.Commands.Stop, "a", "deadline"), Later.AddSeconds(1));
        unknownStop.FailedWith<CallingApiException>();
        Assert.Equal(PlaybackState.Playing, unknownStop.State.StateOf("a"));

        var t = unknownStop.State.Decide(Pause("a"), Later.AddSeconds(2)).State.RequestFailed(Refusal(CallingApi.Commands.Pause, "a", "404"), Later.AddSeconds(3));

        Assert.Equal(PlaybackState.Stopped, t.State.StateOf("a"));
    }

    [Fact]
    public void Only_a_404_on_a_play_or_the_call_ended_webhook_ends_the_whole_call()
    {
        var afterPlay404 = Starting("p").RequestFailed(NotFound("p"), At(3));
        Assert.Single(afterPlay404.Ends());

        var ended = QueuedBehind("a", "q").CallState(CallStateEvent("ended"), Later);
        Assert.Single(ended.Ends());
        Assert.All(ended.Events(), e => Assert.Equal(PlaybackState.Failed, e.State));
    }

    // ───────────────────────── 5. A stop ends a playback only when nothing can still play ─────────────────────────

    [Theory]
    [InlineData("reference-422")]
    [InlineData("other-422")]
    [InlineData("bare-422")]
    [InlineData("404")]
    public void A_stop_whose_lost_attempt_may_have_landed_ends_stopped_when_its_retry_finds_no_active_play(string refusal)
    {
        var sent = Playing("a").Decide(Stop("a"), Later);

        var t = sent.State.RequestFailed(Unknown(CallingApi.Commands.Stop, "a", refusal), Later.AddSeconds(1));

        Assert.Equal(PlaybackState.Stopped, t.SucceededWith().State);
        t.Published("a", PlaybackState.Playing, PlaybackState.Stopped);
    }

    /// <summary>
    /// Answers that say nothing of whether the media still plays: a retry refused 400/401/403 after an attempt whose answer was
    /// lost, or a 5xx that is not retried (501, 505, 507, a proxy's 520-526) on the only attempt. The stop may have landed,
    /// or not: the playback stays live and the caller hears the failure, marked as possibly applied; the finished webhook
    /// that follows a stop that did land still ends it as Stopped.
    /// </summary>
    [Theory]
    [InlineData(400, true)]
    [InlineData(401, true)]
    [InlineData(403, true)]
    [InlineData(501, false)]
    [InlineData(505, false)]
    [InlineData(507, false)]
    [InlineData(522, false)]
    public void A_stop_whose_outcome_stays_unknown_leaves_the_playback_live_until_a_webhook_settles_it(int status, bool afterLostAttempt)
    {
        var sent = Playing("a").Decide(Stop("a"), Later);
        var answer = new CallingApiException(CallingApi.Commands.Stop, CallId, "a", status, "refused", null, null, isTransient: false)
        {
            MayHaveBeenApplied = CallingApiException.IsAmbiguousStatus(status),
        };
        var error = afterLostAttempt ? answer.AsMaybeApplied() : answer;

        var t = sent.State.RequestFailed(error, Later.AddSeconds(1));

        Assert.True(t.FailedWith<CallingApiException>().MayHaveBeenApplied);
        Assert.Empty(t.Events());
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("a"));
        t.NoRequest();

        var finished = t.State.PlayStatus(Status("a", "finished", Later.AddSeconds(2)), Later.AddSeconds(2));
        finished.Published("a", PlaybackState.Playing, PlaybackState.Stopped);
    }

    [Theory]
    [InlineData("finished", PlaybackState.Stopped)]
    [InlineData("error", PlaybackState.Failed)]
    public void A_playback_that_ends_while_its_stop_fails_keeps_that_end_and_the_caller_hears_success(string webhook, PlaybackState expected)
    {
        var sent = Paused("a").Decide(Stop("a"), Later);
        var ended = sent.State.PlayStatus(Status("a", webhook, Later), Later);
        ended.Published("a", PlaybackState.Paused, expected);

        var t = ended.State.RequestFailed(Unknown(CallingApi.Commands.Stop, "a", "deadline"), Later.AddSeconds(1));

        Assert.Equal(expected, t.SucceededWith().State);
        Assert.Empty(t.Events());
    }

    [Fact]
    public void A_replacing_stop_refused_with_404_still_starts_the_new_play()
    {
        var sent = Playing("a").Decide(Play("r", PlayConflict.Replace), Later);

        var t = sent.State.RequestFailed(Refusal(CallingApi.Commands.Stop, "a", "404"), Later.AddSeconds(1));

        Assert.Equal(PlaybackState.Stopped, t.State.StateOf("a"));
        t.Sent(ApiCommand.Play, "r");
    }

    // ───────────────────────── 6. A pause or resume whose outcome is unknown ─────────────────────────

    /// <summary>
    /// The pause (resume) got no answer, or a 5xx, and its retries failed; meanwhile the server reported the paused
    /// (playing) state it asks for, newer than the last acknowledged command: it landed, and the caller hears so.
    /// </summary>
    [Theory]
    [InlineData("pause", "paused", "deadline")]
    [InlineData("pause", "paused", "400")]
    [InlineData("resume", "playing", "deadline")]
    public void A_pause_or_resume_whose_outcome_is_unknown_landed_when_a_webhook_reported_its_state_meanwhile(string command, string webhook, string retryAnswer)
    {
        var pause = command == "pause";
        var sent = (pause ? Playing("a") : Paused("a")).Decide(pause ? Pause("a") : Resume("a"), At(40));
        var heard = sent.State.PlayStatus(Status("a", webhook, At(41)), At(41));
        Assert.Empty(heard.Events()); // the state changes when the command's outcome is known

        var t = heard.State.RequestFailed(Unknown(pause ? CallingApi.Commands.Pause : CallingApi.Commands.Resume, "a", retryAnswer), At(60));

        var expected = pause ? PlaybackState.Paused : PlaybackState.Playing;
        Assert.Equal(expected, t.SucceededWith().State);
        t.Published("a", pause ? PlaybackState.Playing : PlaybackState.Paused, expected);
    }

    [Theory]
    [InlineData(5.0, true)] // sent before the play's acknowledgment (At(10)): an older event, no evidence
    [InlineData(41.0, false)] // certainly not applied: whatever the server said, the command failed
    public void A_pause_whose_state_was_reported_is_not_taken_as_landed_on_old_or_certain_evidence(double webhookAt, bool unknown)
    {
        var sent = Playing("a").Decide(Pause("a"), At(40));
        var heard = sent.State.PlayStatus(Status("a", "paused", At(webhookAt)), At(41)).State;
        var error = unknown ? Unknown(CallingApi.Commands.Pause, "a", "deadline") : Refusal(CallingApi.Commands.Pause, "a", "400");

        var t = heard.RequestFailed(error, At(60));

        t.FailedKeeping(error, "a", PlaybackState.Playing);
    }

    // ───────────────────────── helpers ─────────────────────────

    /// <summary>A play whose outcome was unknown, reported failed at 4 s because the stop sent to settle it found nothing to stop (404).</summary>
    private static CallPlaybacks ReportedFailedAfterSettling() =>
        Starting("p").RequestFailed(Unknown(CallingApi.Commands.Play, "p", "deadline"), At(3)).State
            .RequestFailed(Refusal(CallingApi.Commands.Stop, "p", "404"), At(4)).State;

    /// <summary>A play on the wire that expects webhooks (a status URL), so the watchdog applies to it.</summary>
    private static CallPlaybacks WatchedStarting(string id) =>
        Idle().Decide(new StartPlay(CallId, id, PlayMedia, new PlayOptions { ControlId = id, StatusUrl = new Uri("https://example.com/status") }), At(1)).State;

    /// <summary>A refusal of a single, answered attempt.</summary>
    private static CallingApiException Refusal(string command, string id, string kind) => kind switch
    {
        "reference-422" => new(command, CallId, id, 422, "control_id is already active", [new CallingApiError("validation_error", "already_active", "control_id is already active", "control_id")], null, isTransient: false),
        "other-422" => new(command, CallId, id, 422, "Play with this identifier exists", [new CallingApiError("request_error", "E1017", "Play with this identifier exists", null)], null, isTransient: false),
        "bare-422" => new(command, CallId, id, 422, null, null, null, isTransient: false),
        "404" => new(command, CallId, id, 404, "Not Found", null, null, isTransient: false),
        "deadline" => new(command, CallId, id, null, "no success within the command deadline", null, null, isTransient: true),
        _ => new(command, CallId, id, 400, "Bad Request", null, null, isTransient: false),
    };

    /// <summary>The same answer after an earlier attempt whose answer was lost (what <see cref="ResilientCallingApi"/> reports).</summary>
    private static CallingApiException Unknown(string command, string id, string kind) => Refusal(command, id, kind).AsMaybeApplied();
}
