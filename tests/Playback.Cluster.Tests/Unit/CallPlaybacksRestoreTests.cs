using System.Collections.Immutable;

namespace Playback.Cluster.Tests.Unit;

public sealed class CallPlaybacksRestoreTests
{
    private const string Call = "call-1";
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ImmutableArray<MediaItem> Hold = [Media.Audio("https://cdn.example.com/hold.mp3")];
    private static readonly ImmutableArray<MediaItem> Bye = [Media.Tts("Goodbye", "en-US"), Media.Silence(1)];

    /// <summary>a playing (acknowledged), b and c queued behind it, d stopped while queued (ended).</summary>
    private static CallPlaybacks Busy()
    {
        var s = new CallPlaybacks(Call);
        s = Run(s, new StartPlay(Call, "a", Hold, new PlayOptions { ControlId = "a", Volume = -3 }));
        Assert.NotNull(s.InFlight);
        s = s.RequestSucceeded(Now).State;
        s = Run(s, new StartPlay(Call, "b", Bye, new PlayOptions { ControlId = "b", Loop = 2 }));
        s = Run(s, new StartPlay(Call, "c", [Media.Ringtone("us", 2)], new PlayOptions { ControlId = "c" }));
        s = Run(s, new StartPlay(Call, "d", [Media.Silence(3)], new PlayOptions { ControlId = "d" }));
        s = Run(s, new StopPlay(Call, "d"));
        Assert.Equal(PlaybackState.Playing, s.Playbacks["a"].State);
        Assert.Equal(["b", "c"], s.Queue);
        Assert.Equal(["d"], s.Ended);
        return s;
    }

    private static CallPlaybacks Run(CallPlaybacks s, IPlaybackCommand command) => s.Decide(command, Now).State;

    private static PlaybackSnapshot Seen(string id, PlaybackState state, double volume = 0, string? reason = null) =>
        new(Call, id, state, volume, reason);

    /// <summary>A play reported failed whose webhook then showed it running, and whose stop could not get through yet.</summary>
    private static CallPlaybacks OwingAStop()
    {
        static CallingApiException Lost(string command) =>
            new CallingApiException(command, Call, "p", null, "no answer", null, null, isTransient: true).AsMaybeApplied();

        var s = Run(new CallPlaybacks(Call), new StartPlay(Call, "p", Hold, new PlayOptions { ControlId = "p" }));
        s = s.RequestFailed(Lost(CallingApi.Commands.Play), Now).State; // unknown: a settling stop goes out
        s = s.RequestFailed(new CallingApiException(CallingApi.Commands.Stop, Call, "p", 404, "Not Found", null, null, isTransient: false), Now).State;
        s = s.PlayStatus(new PlayStatusReceived(Call, "p", ReportedPlayState.Playing, Now.AddSeconds(1)), Now.AddSeconds(1)).State;
        s = s.RequestFailed(Lost(CallingApi.Commands.Stop), Now.AddSeconds(2)).State;
        Assert.Equal(PlaybackState.Failed, s.Playbacks["p"].State);
        Assert.True(s.Playbacks["p"].Unconfirmed);
        return s;
    }

    [Fact]
    public void A_handoff_carries_a_stop_still_owed_and_the_successor_sends_it()
    {
        var after = CallRestore.FromHandoff(OwingAStop().ToHandoff());

        Assert.True(after.Playbacks["p"].Unconfirmed);
        Assert.False(after.IsIdle);
        Assert.Contains(after.TimersToArm(), e => e is SettleLater { ControlId: "p" });
        Assert.Equal(ApiCommand.Stop, Assert.Single(after.SettleAgain("p", Now.AddSeconds(9)).Effects.OfType<SendRequest>()).Request.Command);
    }

    [Fact]
    public void A_late_handoff_merged_into_a_state_rebuilt_from_events_keeps_a_stop_still_owed_in_the_ended_history()
    {
        var rebuilt = CallRestore.FromEvents(Call, [], out _);

        var merged = rebuilt.Merge(OwingAStop().ToHandoff());

        Assert.True(merged.Playbacks["p"].Unconfirmed);
        Assert.Contains("p", merged.Ended);
        Assert.Contains(merged.TimersToArm(), e => e is SettleLater { ControlId: "p" });
    }

    [Fact]
    public void A_handoff_keeps_the_live_playbacks_the_queue_and_the_ended_ids()
    {
        var before = Busy();

        var handoff = before.ToHandoff();
        var after = CallRestore.FromHandoff(handoff);

        Assert.Equal(Call, handoff.CallId);
        Assert.Equal(["a", "b", "c"], handoff.Playbacks.Select(p => p.ControlId).Order());
        Assert.Equal(["a", "b", "c"], after.Playbacks.Keys.Order());
        foreach (var id in new[] { "a", "b", "c" })
        {
            Assert.Equal(before.Playbacks[id], after.Playbacks[id]);
        }

        Assert.Equal<MediaItem>(Hold, after.Playbacks["a"].Media);
        Assert.NotNull(after.Playbacks["a"].LastAckAt);
        Assert.Equal(["b", "c"], after.Queue);
        Assert.Equal(["d"], after.Ended);
        Assert.Null(after.InFlight);
        Assert.Null(after.GoneReason);
        Assert.False(after.IsIdle);
    }

    [Fact]
    public void A_state_restored_from_a_handoff_starts_the_next_queued_play_with_its_media()
    {
        var after = CallRestore.FromHandoff(Busy().ToHandoff());

        var stopping = after.Decide(new StopPlay(Call, "a"), Now);
        var stopped = stopping.State.RequestSucceeded(Now);

        var next = Assert.Single(stopped.Effects.OfType<SendRequest>());
        Assert.Equal(ApiCommand.Play, next.Request.Command);
        Assert.Equal("b", next.Request.ControlId);
        Assert.Equal<MediaItem>(Bye, next.Request.Media);
        Assert.Equal(2, next.Request.Options!.Loop);
        Assert.Equal(["c"], stopped.State.Queue);
    }

    [Fact]
    public void Rebuilding_from_events_counts_starting_as_playing_drops_ended_and_returns_queued_as_lost()
    {
        PlaybackSnapshot[] seen =
        [
            Seen("starting", PlaybackState.Starting, -1),
            Seen("playing", PlaybackState.Playing, 2),
            Seen("paused", PlaybackState.Paused, -7, "reported by the server"),
            Seen("queued", PlaybackState.Queued, 3),
            Seen("finished", PlaybackState.Finished),
            Seen("stopped", PlaybackState.Stopped),
            Seen("failed", PlaybackState.Failed, 0, "boom"),
        ];

        var state = CallRestore.FromEvents(Call, seen, out var lost);

        Assert.Equal(["paused", "playing", "starting"], state.Playbacks.Keys.Order());
        Assert.Equal(PlaybackState.Playing, state.Playbacks["starting"].State);
        Assert.Equal(-1, state.Playbacks["starting"].Volume);
        Assert.Equal(PlaybackState.Playing, state.Playbacks["playing"].State);
        Assert.Equal(2, state.Playbacks["playing"].Volume);
        Assert.Equal(PlaybackState.Paused, state.Playbacks["paused"].State);
        Assert.Equal(-7, state.Playbacks["paused"].Volume);
        Assert.All(state.Playbacks.Values, p => Assert.True(p.Media.IsEmpty));
        Assert.Empty(state.Queue);
        Assert.Null(state.InFlight);
        var only = Assert.Single(lost);
        Assert.Equal("queued", only.ControlId);
        Assert.Equal(3, only.Volume);
    }

    [Fact]
    public void A_state_rebuilt_from_events_can_be_controlled()
    {
        var state = CallRestore.FromEvents(Call, [Seen("p", PlaybackState.Starting)], out _);

        var pause = state.Decide(new PausePlay(Call, "p"), Now);

        var send = Assert.Single(pause.Effects.OfType<SendRequest>());
        Assert.Equal(ApiCommand.Pause, send.Request.Command);
        Assert.Equal(PlaybackState.Paused, pause.State.RequestSucceeded(Now).State.Playbacks["p"].State);
    }

    [Fact]
    public void Rebuilding_from_nothing_but_ended_or_queued_playbacks_is_idle()
    {
        var state = CallRestore.FromEvents(Call, [Seen("q", PlaybackState.Queued), Seen("f", PlaybackState.Finished)], out var lost);

        Assert.True(state.IsIdle);
        Assert.Empty(state.Playbacks);
        Assert.Single(lost);
    }

    [Fact]
    public void Merging_adds_unknown_playbacks_and_queues_the_queued_ones()
    {
        var rebuilt = CallRestore.FromEvents(Call, [Seen("a", PlaybackState.Playing, -3)], out _);
        var handoff = Busy().ToHandoff();

        var merged = rebuilt.Merge(handoff);

        Assert.Equal(["a", "b", "c"], merged.Playbacks.Keys.Order());
        Assert.Equal<MediaItem>(Bye, merged.Playbacks["b"].Media);
        Assert.Equal(PlaybackState.Queued, merged.Playbacks["b"].State);
        Assert.Equal(["b", "c"], merged.Queue);
    }

    [Fact]
    public void Merging_queues_in_the_handoffs_queue_order_whatever_the_order_of_its_playbacks()
    {
        var rebuilt = CallRestore.FromEvents(Call, [Seen("a", PlaybackState.Playing)], out _);
        PlaybackEntry Queued(string id) => new(id, PlaybackState.Queued, 0, null, Bye, new PlayOptions { ControlId = id });
        var handoff = new CallHandoff(Call, [Queued("z"), Queued("y"), Queued("x")], ["x", "y", "z"], []);

        var merged = rebuilt.Merge(handoff);

        Assert.Equal(["x", "y", "z"], merged.Queue);
    }

    [Fact]
    public void Merging_fills_media_and_options_of_rebuilt_playbacks_and_keeps_their_state_and_volume()
    {
        var rebuilt = CallRestore.FromEvents(Call, [Seen("a", PlaybackState.Paused, 5, "reported by the server")], out _);
        var handoff = Busy().ToHandoff();
        var handed = handoff.Playbacks.Single(p => p.ControlId == "a");
        Assert.Equal(PlaybackState.Playing, handed.State);

        var merged = rebuilt.Merge(handoff);

        var a = merged.Playbacks["a"];
        Assert.Equal<MediaItem>(Hold, a.Media);
        Assert.Equal(handed.Options, a.Options);
        Assert.Equal(-3, a.Options.Volume);
        Assert.Equal(handed.LastAckAt, a.LastAckAt);
        Assert.Equal(PlaybackState.Paused, a.State);
        Assert.Equal(5, a.Volume);
        Assert.Equal("reported by the server", a.Reason);
    }

    [Fact]
    public void Merging_ignores_ids_that_ended_here_and_playbacks_known_in_full()
    {
        // Rebuilt from events: x playing (it then finishes here), y playing; then k is queued here with its own media.
        var state = CallRestore.FromEvents(Call, [Seen("x", PlaybackState.Playing), Seen("y", PlaybackState.Playing)], out _);
        state = state.PlayStatus(new PlayStatusReceived(Call, "x", ReportedPlayState.Finished, Now), Now).State;
        state = Run(state, new StartPlay(Call, "k", Hold, new PlayOptions { ControlId = "k", Volume = 1 }));
        Assert.Equal(["x"], state.Ended);
        Assert.Equal(["k"], state.Queue);

        var handoff = new CallHandoff(
            Call,
            [
                new PlaybackEntry("x", PlaybackState.Playing, 9, null, Bye, new PlayOptions { ControlId = "x" }),
                new PlaybackEntry("k", PlaybackState.Playing, 9, null, Bye, new PlayOptions { ControlId = "k", Volume = 9 }),
            ],
            ["k"],
            []);

        var merged = state.Merge(handoff);

        Assert.Equal(PlaybackState.Finished, merged.Playbacks["x"].State);
        Assert.True(merged.Playbacks["x"].Media.IsEmpty);
        Assert.Equal(state.Playbacks["k"], merged.Playbacks["k"]);
        Assert.Equal(["k"], merged.Queue);
        Assert.Equal(["x"], merged.Ended);
    }
}
