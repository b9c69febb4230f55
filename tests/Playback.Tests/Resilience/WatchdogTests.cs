using System.Collections.Immutable;
using Akka.TestKit;
using Xunit.Abstractions;
using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>
/// The no-news watchdog's rules on the pure <see cref="CallPlaybacks"/> value: which transitions arm, re-arm and disarm
/// it (<see cref="Watch"/> effects), which playbacks are watchable, and what <c>StatusTimedOut</c> does.
/// </summary>
public sealed class WatchdogRulesTests
{
    private static readonly Uri Hook = new("https://app.example.com/status");

    // ───────────────────────── Arming and re-arming ─────────────────────────

    [Fact]
    public void A_watchable_play_is_not_watched_while_starting_and_is_armed_by_its_2xx()
    {
        var sent = Idle().Decide(Watched("p"), PlaySentAt);
        Assert.Empty(sent.Watches());

        var acked = sent.State.RequestSucceeded(PlayAckAt);

        Assert.Equal([new Watch("p", true)], acked.Watches());
    }

    [Theory]
    [InlineData("a newer playing")]
    [InlineData("a playing without timestamp")]
    [InlineData("a playing older than the 2xx")]
    [InlineData("a stale paused")]
    public void A_webhook_about_a_watched_playing_playback_re_arms_its_watchdog(string what)
    {
        var webhook = what switch
        {
            "a newer playing" => Status("p", "playing", At(30)),
            "a playing without timestamp" => Status("p", "playing", null),
            "a playing older than the 2xx" => Status("p", "playing", At(5)),
            _ => Status("p", "paused", At(5)),
        };

        var t = PlayingWatched("p").PlayStatus(webhook, Later);

        Assert.True(t.Watches().SequenceEqual([new Watch("p", true)]), what);
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
    }

    [Fact]
    public void Each_duplicate_playing_webhook_re_arms_the_watchdog_again()
    {
        var first = PlayingWatched("p").PlayStatus(Status("p", "playing", At(30)), At(30));
        var second = first.State.PlayStatus(Status("p", "playing", At(30)), At(40));
        var third = second.State.PlayStatus(Status("p", "playing", At(30)), At(50));

        Assert.Equal([new Watch("p", true)], first.Watches());
        Assert.Equal([new Watch("p", true)], second.Watches());
        Assert.Equal([new Watch("p", true)], third.Watches());
        Assert.Equal(WebhookStatus.Accepted, third.Webhook?.Status);
    }

    [Fact]
    public void An_acknowledged_volume_change_re_arms_the_watchdog()
    {
        var sent = PlayingWatched("p").Decide(Volume("p", 3), At(20));
        Assert.Empty(sent.Watches());

        var acked = sent.State.RequestSucceeded(At(21));

        Assert.Equal([new Watch("p", true)], acked.Watches());
    }

    [Fact]
    public void An_acknowledged_resume_arms_the_watchdog_again()
    {
        var paused = PlayingWatched("p").Decide(Pause("p"), At(15)).State.RequestSucceeded(At(16)).State;

        var resumed = paused.Decide(Resume("p"), At(20)).State.RequestSucceeded(At(21));

        Assert.Equal(PlaybackState.Playing, resumed.State.StateOf("p"));
        Assert.Equal([new Watch("p", true)], resumed.Watches());
    }

    // ───────────────────────── Disarming ─────────────────────────

    [Theory]
    [InlineData("pause acknowledged")]
    [InlineData("paused webhook")]
    [InlineData("finished webhook")]
    [InlineData("error webhook")]
    [InlineData("stop acknowledged")]
    [InlineData("call ended")]
    [InlineData("call gone")]
    public void The_watchdog_is_disarmed_when_the_playback_stops_playing(string how)
    {
        var playing = PlayingWatched("p");

        var t = how switch
        {
            "pause acknowledged" => playing.Decide(Pause("p"), At(20)).State.RequestSucceeded(At(21)),
            "paused webhook" => playing.PlayStatus(Status("p", "paused", At(30)), At(30)),
            "finished webhook" => playing.PlayStatus(Status("p", "finished", At(30)), At(30)),
            "error webhook" => playing.PlayStatus(Status("p", "error", At(30)), At(30)),
            "stop acknowledged" => playing.Decide(Stop("p"), At(20)).State.RequestSucceeded(At(21)),
            "call ended" => playing.CallState(CallStateEvent("ended"), At(30)),
            _ => playing.CallGone("call gone: 404", At(30)),
        };

        Assert.NotEqual(PlaybackState.Playing, t.State.StateOf("p"));
        Assert.Equal([new Watch("p", false)], t.Watches());
    }

    // ───────────────────────── Watchable ─────────────────────────

    /// <summary>Why a playback cannot be watched: nothing reports its end, or it never ends.</summary>
    public static TheoryData<string> NotWatchable => ["no status URL", "loop = 0 (endless)", "an endless ringtone", "an endless ringtone after other media"];

    [Theory]
    [MemberData(nameof(NotWatchable))]
    public void A_playback_that_is_not_watchable_never_arms_the_watchdog(string why)
    {
        var play = why switch
        {
            "no status URL" => Play("p"),
            "loop = 0 (endless)" => Watched("p", loop: 0),
            "an endless ringtone" => Watched("p", media: [Media.Ringtone("us")]),
            _ => Watched("p", media: [Media.Tts("Please hold"), Media.Ringtone("us")]),
        };
        var playing = Expect(Idle().Decide(play, PlaySentAt).State.RequestSucceeded(PlayAckAt).State, "p", PlaybackState.Playing);
        var acked = Idle().Decide(play, PlaySentAt).State.RequestSucceeded(PlayAckAt);
        var webhook = playing.PlayStatus(Status("p", "playing", At(30)), At(30));
        var volume = playing.Decide(Volume("p"), At(31)).State.RequestSucceeded(At(32));

        Assert.False(acked.Watches().Any(w => w.On), why);
        Assert.False(webhook.Watches().Any(w => w.On), why);
        Assert.False(volume.Watches().Any(w => w.On), why);
    }

    [Theory]
    [InlineData("finite media with a status URL")]
    [InlineData("no loop given (plays once)")]
    [InlineData("a ringtone with a duration")]
    public void A_playback_with_a_status_URL_and_a_finite_length_is_watched(string what)
    {
        var play = what switch
        {
            "finite media with a status URL" => Watched("p"),
            "no loop given (plays once)" => Watched("p", loop: null),
            _ => Watched("p", media: [Media.Ringtone("us", 20)]),
        };
        var acked = Idle().Decide(play, PlaySentAt).State.RequestSucceeded(PlayAckAt);

        Assert.True(acked.Watches().SequenceEqual([new Watch("p", true)]), what);
    }

    // ───────────────────────── StatusTimedOut ─────────────────────────

    [Fact]
    public void StatusTimedOut_stops_a_playing_playback_before_reporting_anything()
    {
        // Silence proves nothing (long media, lost webhooks): it may still be playing, so it is stopped first.
        var t = PlayingWatched("p").StatusTimedOut("p", Later);

        t.Sent(ApiCommand.Stop, "p");
        Assert.Empty(t.Events());
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
        Assert.True(t.State.InFlight!.WatchdogStop);
        Assert.Empty(t.Replies());
    }

    [Fact]
    public void The_watchdogs_accepted_stop_marks_the_playback_Failed_with_reason_no_status_received()
    {
        var t = PlayingWatched("p").StatusTimedOut("p", Later).State.RequestSucceeded(Later.AddSeconds(1));

        var e = t.Published("p", PlaybackState.Playing, PlaybackState.Failed);
        Assert.Equal(CallPlaybacks.StoppedSilentReason, e.Reason);
        Assert.StartsWith("no status received", e.Reason, StringComparison.Ordinal);
        Assert.Contains("p", t.State.Ended);
        Assert.Equal([new Watch("p", false)], t.Watches());
        Assert.Empty(t.Replies());
        t.NoRequest();
    }

    [Theory]
    [InlineData("404")]
    [InlineData("404 after a playing webhook long before")]
    [InlineData("finished webhook")]
    public void The_watchdogs_stop_finding_nothing_or_a_finished_webhook_meanwhile_marks_it_Failed(string how)
    {
        var playing = how.Contains("long before", StringComparison.Ordinal)
            ? PlayingWatched("p").PlayStatus(Status("p", "playing", At(30)), At(30)).State // heard of once: not proof it plays now
            : PlayingWatched("p");
        var stopping = playing.StatusTimedOut("p", Later).State;

        var t = how.StartsWith("404", StringComparison.Ordinal)
            ? stopping.RequestFailed(new CallingApiException(CallingApi.Commands.Stop, CallId, "p", 404, "Not Found", null, null, false), Later.AddSeconds(1))
            : stopping.PlayStatus(Status("p", "finished", Later), Later.AddSeconds(1));

        var e = t.Published("p", PlaybackState.Playing, PlaybackState.Failed);
        Assert.StartsWith("no status received", e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_watchdogs_stop_failing_leaves_the_playback_playing_and_the_watchdog_tries_again(bool mayHaveLanded)
    {
        // A 503 after retries, or an open circuit: the playback may still play, so it stays Playing and watched.
        var failure = new CallingApiException(CallingApi.Commands.Stop, CallId, "p", 503, "unavailable", null, null, true) { MayHaveBeenApplied = mayHaveLanded };

        var t = PlayingWatched("p").StatusTimedOut("p", Later).State.RequestFailed(failure, Later.AddSeconds(1));

        Assert.Empty(t.Events());
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
        Assert.Equal([new Watch("p", true) { Soon = true, Retry = true }], t.Watches()); // tried again after SettleRetryDelay
        Assert.False(t.State.Playbacks["p"].OwesStop);
        t.NoRequest();
        t.State.StatusTimedOut("p", Later.AddSeconds(6)).Sent(ApiCommand.Stop, "p");

        // Then it finishes by itself: that is its own end, not Playback's.
        var finished = t.State.PlayStatus(Status("p", "finished", Later.AddMinutes(1)), Later.AddMinutes(1));
        Assert.Equal("finished", finished.Published("p", PlaybackState.Playing, PlaybackState.Finished).Reason);
    }

    [Fact]
    public void The_watchdogs_stop_refused_404_ends_the_playback_even_after_a_webhook_during_the_stop()
    {
        // A backlogged playing webhook (sent long before) arrives while the stop is out; the server's 404 is what holds now.
        var stopping = PlayingWatched("p").StatusTimedOut("p", Later).State;
        var heard = stopping.PlayStatus(Status("p", "playing", At(40)), Later).State;

        var t = heard.RequestFailed(new CallingApiException(CallingApi.Commands.Stop, CallId, "p", 404, "Not Found", null, null, false), Later.AddSeconds(1));

        Assert.Equal(CallPlaybacks.NoStatusReason, t.Published("p", PlaybackState.Playing, PlaybackState.Failed).Reason);
    }

    [Fact]
    public void The_watchdogs_accepted_stop_ends_Stopped_when_you_had_asked_for_a_stop_whose_outcome_was_unknown()
    {
        var unknown = new CallingApiException(CallingApi.Commands.Stop, CallId, "p", 503, "unavailable", null, null, true) { MayHaveBeenApplied = true };
        var asked = PlayingWatched("p").Decide(Stop("p"), At(20)).State.RequestFailed(unknown, At(21)).State;
        Assert.Equal(PlaybackState.Playing, asked.StateOf("p"));

        var t = asked.StatusTimedOut("p", Later).State.RequestSucceeded(Later.AddSeconds(1));

        Assert.Equal("stopped", t.Published("p", PlaybackState.Playing, PlaybackState.Stopped).Reason);
    }

    [Fact]
    public void A_watchdog_stop_recovered_from_the_store_keeps_its_reason()
    {
        var stopping = PlayingWatched("p").StatusTimedOut("p", Later).State;
        using var system = Akka.Actor.ActorSystem.Create("watchdog-store");
        var serializer = new CallStoreSerializer((Akka.Actor.ExtendedActorSystem)system);
        var change = CallChange.Of(stopping);
        var stored = ((CallChange)serializer.FromBinary(serializer.ToBinary(change), serializer.Manifest(change))).ApplyTo(new CallPlaybacks(CallId));
        Assert.NotNull(stored.InFlight);

        var t = stored.RequestSucceeded(Later.AddSeconds(1));

        Assert.Equal(CallPlaybacks.StoppedSilentReason, t.Published("p", PlaybackState.Playing, PlaybackState.Failed).Reason);
    }

    [Fact]
    public void A_playing_webhook_during_the_watchdogs_stop_that_then_fails_keeps_the_playback_playing_and_watched()
    {
        var stopping = PlayingWatched("p").StatusTimedOut("p", Later).State;
        var heard = stopping.PlayStatus(Status("p", "playing", Later), Later).State;

        var t = heard.RequestFailed(new CallingApiException(CallingApi.Commands.Stop, CallId, "p", 503, "unavailable", null, null, true) { MayHaveBeenApplied = true }, Later.AddSeconds(1));

        Assert.Empty(t.Events());
        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
        Assert.Equal([new Watch("p", true) { Soon = true, Retry = true }], t.Watches());
    }

    [Fact]
    public void The_watchdogs_stop_starts_the_next_queued_playback_once_accepted()
    {
        var state = Enqueue(PlayingWatched("p"), "q");

        var stopping = state.StatusTimedOut("p", Later);
        stopping.Sent(ApiCommand.Stop, "p");

        var t = stopping.State.RequestSucceeded(Later.AddSeconds(1));

        Assert.Equal(PlaybackState.Failed, t.State.StateOf("p"));
        t.Sent(ApiCommand.Play, "q");
    }

    [Theory]
    [InlineData("paused")]
    [InlineData("finished")]
    [InlineData("stopped")]
    [InlineData("failed")]
    [InlineData("unknown control id")]
    public void StatusTimedOut_changes_nothing_for_a_playback_that_is_not_playing(string which)
    {
        var state = which switch
        {
            "paused" => PlayingWatched("p").Decide(Pause("p"), At(15)).State.RequestSucceeded(At(16)).State,
            "finished" => PlayingWatched("p").PlayStatus(Status("p", "finished", At(30)), At(30)).State,
            "stopped" => PlayingWatched("p").Decide(Stop("p"), At(25)).State.RequestSucceeded(At(26)).State,
            "failed" => PlayingWatched("p").StatusTimedOut("p", At(30)).State.RequestSucceeded(At(31)).State,
            _ => PlayingWatched("other"),
        };

        var t = state.StatusTimedOut("p", Later);

        Assert.Same(state, t.State);
        Assert.Empty(t.Effects);
    }

    [Fact]
    public void StatusTimedOut_while_a_request_for_the_playback_is_in_flight_changes_nothing_but_re_arms_the_watchdog_soon()
    {
        var busy = PlayingWatched("p").Decide(Volume("p", 3), At(20)).State;

        var t = busy.StatusTimedOut("p", Later);

        Assert.Equal(PlaybackState.Playing, t.State.StateOf("p"));
        Assert.Equal(busy.InFlight, t.State.InFlight);
        Assert.Empty(t.Events());
        Assert.Empty(t.Replies());
        Assert.Empty(t.Requests());
        Assert.Equal([new Watch("p", true) { Soon = true }], t.Watches()); // tried again after SettleRetryDelay

        // A failed volume change leaves the playback Playing; the re-armed watchdog still covers it.
        var failed = t.State.RequestFailed(ApiError("p", 503, "unavailable"), At(60));
        Assert.Equal(PlaybackState.Playing, failed.State.StateOf("p"));
        failed.State.StatusTimedOut("p", At(120)).Sent(ApiCommand.Stop, "p");
    }

    // ───────────────────────── Helpers ─────────────────────────

    private static StartPlay Watched(string id, int? loop = 2, ImmutableArray<MediaItem> media = default) =>
        new(CallId, id, media.IsDefault ? PlayMedia : media, new PlayOptions { ControlId = id, Loop = loop, StatusUrl = Hook });

    private static CallPlaybacks PlayingWatched(string id) =>
        Expect(Idle().Decide(Watched(id), PlaySentAt).State.RequestSucceeded(PlayAckAt).State, id, PlaybackState.Playing);
}

/// <summary>
/// The watchdog in the call actor, on Akka's <see cref="TestScheduler"/> (virtual time): a playing playback with a
/// status URL and no news for <see cref="PlaybackSettings.StatusTimeout"/> is stopped, then fails with "no status
/// received: Playback stopped it"; webhooks
/// re-arm it; paused playbacks and a zero timeout are never timed out.
/// </summary>
public sealed class WatchdogTests(ITestOutputHelper output)
    : PlaybackSpec(output, "akka.loglevel = WARNING\nakka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private const string HookUrl = "https://app.example.com/status";

    // Idle passivation stays out of the way: the barriers below must reach the same call actor after time moves.
    private static readonly PlaybackSettings Watched = Settings with { StatusTimeout = TimeSpan.FromMinutes(5), IdleTimeout = TimeSpan.FromHours(1) };

    private static readonly PlayOptions WithStatus = new() { StatusUrl = new Uri(HookUrl) };

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    [Fact]
    public async Task A_playing_playback_with_a_status_URL_and_no_news_fails_after_the_status_timeout_and_not_before()
    {
        await using var manager = CreateManager(Watched);
        var handle = await Within10s(manager.PlayAsync("call-wd1", Hello, WithStatus));
        await BarrierAsync(manager, "call-wd1");

        await AdvanceAsync(manager, "call-wd1", TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.Equal(PlaybackState.Playing, handle.Current);

        Assert.DoesNotContain(Api.Requests, r => r.Command == CallingApi.Commands.Stop);

        Clock.Advance(TimeSpan.FromSeconds(1));
        var outcome = await Within10s(handle.Completion);

        Assert.Equal(PlaybackState.Failed, outcome.State);
        Assert.Equal(CallPlaybacks.StoppedSilentReason, outcome.Reason);
        Assert.Equal(handle.ControlId, Assert.Single(Api.Requests, r => r.Command == CallingApi.Commands.Stop).ControlId); // stopped before it was reported
        Assert.Empty(manager.Snapshot("call-wd1"));
    }

    [Fact]
    public async Task A_watchdog_stop_that_fails_is_tried_again_after_the_settle_retry_delay_and_warned_of_once()
    {
        Api.Respond = r => r.Command == CallingApi.Commands.Stop
            ? Task.FromException(new CallingApiException(r.Command, r.CallId, r.ControlId, 503, "unavailable", null, null, isTransient: true) { MayHaveBeenApplied = true })
            : Task.CompletedTask;
        await using var manager = CreateManager(Watched with { SettleRetryDelay = TimeSpan.FromSeconds(5) });
        var handle = await Within10s(manager.PlayAsync("call-wd9", Hello, WithStatus));
        await BarrierAsync(manager, "call-wd9");

        await EventFilter.Warning(contains: "had no status").ExpectOneAsync(async () =>
        {
            await AdvanceAsync(manager, "call-wd9", TimeSpan.FromMinutes(5));
            await AwaitAssertAsync(() => Assert.Single(Api.Requests, r => r.Command == CallingApi.Commands.Stop));
            await AdvanceAsync(manager, "call-wd9", TimeSpan.FromSeconds(5));
            await AwaitAssertAsync(() => Assert.Equal(2, Api.Requests.Count(r => r.Command == CallingApi.Commands.Stop)));
        });

        Assert.Equal(PlaybackState.Playing, handle.Current); // it may still play: never reported ended on a failed stop
    }

    [Fact]
    public async Task A_playing_webhook_at_minute_4_re_arms_the_watchdog()
    {
        await using var manager = CreateManager(Watched);
        var handle = await Within10s(manager.PlayAsync("call-wd2", Hello, WithStatus));
        await BarrierAsync(manager, "call-wd2");

        await AdvanceAsync(manager, "call-wd2", TimeSpan.FromMinutes(4));
        Assert.Equal(WebhookStatus.Accepted, (await Within10s(manager.HandleWebhookAsync(HookUrl, [], PlayWebhook("call-wd2", handle.ControlId, "playing")))).Status);

        await AdvanceAsync(manager, "call-wd2", TimeSpan.FromMinutes(4));
        Assert.Equal(PlaybackState.Playing, handle.Current);

        Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var outcome = await Within10s(handle.Completion);
        Assert.Equal((PlaybackState.Failed, CallPlaybacks.StoppedSilentReason), (outcome.State, outcome.Reason));
    }

    [Fact]
    public async Task A_duplicate_playing_webhook_is_news_and_re_arms_the_watchdog_too()
    {
        await using var manager = CreateManager(Watched);
        var handle = await Within10s(manager.PlayAsync("call-wd3", Hello, WithStatus));
        var playing = PlayWebhook("call-wd3", handle.ControlId, "playing", timestamp: 1_700_000_000);

        await AdvanceAsync(manager, "call-wd3", TimeSpan.FromMinutes(2));
        await Within10s(manager.HandleWebhookAsync(HookUrl, [], playing));
        await AdvanceAsync(manager, "call-wd3", TimeSpan.FromMinutes(4));
        await Within10s(manager.HandleWebhookAsync(HookUrl, [], playing));

        await AssertPlayingFor4MinutesThenFailedAfter5Async(manager, "call-wd3", handle);
    }

    [Fact]
    public async Task A_paused_playback_is_never_failed_and_resuming_arms_the_watchdog_again()
    {
        await using var manager = CreateManager(Watched);
        var handle = await Within10s(manager.PlayAsync("call-wd4", Hello, WithStatus));
        await Within10s(handle.PauseAsync());

        await AdvanceAsync(manager, "call-wd4", TimeSpan.FromHours(1));
        Assert.Equal(PlaybackState.Paused, handle.Current);

        await Within10s(handle.ResumeAsync());
        await AssertPlayingFor4MinutesThenFailedAfter5Async(manager, "call-wd4", handle);
    }

    [Fact]
    public async Task A_status_timeout_of_zero_turns_the_watchdog_off()
    {
        await using var manager = CreateManager(Settings with { StatusTimeout = TimeSpan.Zero });
        var handle = await Within10s(manager.PlayAsync("call-wd5", Hello, WithStatus));

        await AdvanceAsync(manager, "call-wd5", TimeSpan.FromHours(2));

        Assert.Equal(PlaybackState.Playing, handle.Current);
        Assert.False(handle.Completion.IsCompleted);
    }

    [Fact]
    public async Task A_playback_without_a_status_URL_is_never_failed_for_lack_of_news()
    {
        await using var manager = CreateManager(Watched);
        var handle = await Within10s(manager.PlayAsync("call-wd6", Hello));

        await AdvanceAsync(manager, "call-wd6", TimeSpan.FromHours(2));

        Assert.Equal(PlaybackState.Playing, handle.Current);
    }

    [Fact]
    public async Task A_finished_playback_does_not_fail_later()
    {
        await using var manager = CreateManager(Watched);
        var handle = await Within10s(manager.PlayAsync("call-wd7", Hello, WithStatus));
        await Within10s(manager.HandleWebhookAsync(HookUrl, [], PlayWebhook("call-wd7", handle.ControlId, "finished")));

        await AdvanceAsync(manager, "call-wd7", TimeSpan.FromMinutes(10));

        var outcome = await Within10s(handle.Completion);
        Assert.Equal((PlaybackState.Finished, "finished"), (outcome.State, outcome.Reason));
    }

    /// <summary>
    /// Waits until the call's actor has handled everything sent to it so far (a call-state webhook that changes nothing
    /// is answered in order), so timers armed by earlier messages exist before virtual time moves.
    /// </summary>
    private static async Task BarrierAsync(PlaybackManager manager, string callId)
    {
        var result = await Within10s(manager.HandleWebhookAsync(HookUrl, [], CallStateWebhook(callId, "answered")));
        Assert.Equal(WebhookStatus.Accepted, result.Status);
    }

    /// <summary>Moves virtual time after a barrier, then waits until the actor has handled whatever timers fired.</summary>
    /// <summary>
    /// With the 5-minute status timeout of <c>Watched</c>: still Playing 4 minutes on, Failed once just over a minute more has passed.
    /// </summary>
    private async Task AssertPlayingFor4MinutesThenFailedAfter5Async(PlaybackManager manager, string callId, PlaybackHandle handle)
    {
        await AdvanceAsync(manager, callId, TimeSpan.FromMinutes(4));
        Assert.Equal(PlaybackState.Playing, handle.Current);

        Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(PlaybackState.Failed, (await Within10s(handle.Completion)).State);
    }

    private async Task AdvanceAsync(PlaybackManager manager, string callId, TimeSpan by)
    {
        await BarrierAsync(manager, callId);
        Clock.Advance(by);
        await BarrierAsync(manager, callId);
    }
}

/// <summary>Helpers on transitions for the watchdog rules.</summary>
internal static class WatchEffects
{
    public static Watch[] Watches(this Transition t) => [.. t.Effects.OfType<Watch>()];
}
