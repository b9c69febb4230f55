using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>CallGoneException (404 on a play): the call is gone.</summary>
public sealed partial class CallPlaybacksTests
{
    // ───────────────────────── CallGoneException (404 on a play): the call is gone ─────────────────────────

    /// <summary>A call where "a" is the target of <paramref name="cmd"/>, with "q" queued behind it (none for Play, which needs an idle call).</summary>
    private static CallPlaybacks ReadyFor(Cmd cmd) => cmd switch
    {
        Cmd.Play => Idle(),
        Cmd.Resume => Enqueue(Paused("a"), "q"),
        _ => QueuedBehind("a", "q"),
    };

    /// <summary>Play, pause, resume, volume and stop.</summary>
    public static TheoryData<Cmd> EveryCmd => [.. Enum.GetValues<Cmd>()];

    [Theory]
    [MemberData(nameof(EveryCmd))]
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
    [MemberData(nameof(EveryCmd))]
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
}
