using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>Exhaustive: every state × every command against the table, and every state × every webhook.</summary>
public sealed partial class CallPlaybacksTests
{
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

        if (before.DecideUnlessItMustWait(command, expected == Outcome.MustWait) is not { } t)
        {
            return;
        }

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
                t.LeftUnchanged(before);
                break;
            case Outcome.FailsCallGone:
                Assert.Equal("p", t.FailedWith<CallGoneException>().ControlId);
                t.LeftUnchanged(before);
                break;
        }

        Assert.Empty(t.Ends());
        Assert.Null(t.Webhook);
    }

    // ───────────────────────── Exhaustive: state × webhook ─────────────────────────

    /// <summary>Every play state the parser passes on (it ignores the rest: see the unknown-state test).</summary>
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
