using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>Commands without an active playback.</summary>
public sealed partial class CallPlaybacksTests
{
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
        t.LeftUnchanged(before);
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
        t.LeftUnchanged(before);
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
        t.LeftUnchanged(before);
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
}
