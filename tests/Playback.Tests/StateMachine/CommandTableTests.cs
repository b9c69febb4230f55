using static Playback.Tests.Sm;

using System.Collections.Immutable;

namespace Playback.Tests;

/// <summary>
/// The states × commands table the state machine reads (<see cref="CommandTable"/>) against what the state machine does:
/// every cell is driven through the public inputs and its observed outcome must be the cell's rule. The exhaustive table
/// in <see cref="CallPlaybacksTests"/> is an independent oracle written from architecture.md; this one keeps the data honest.
/// </summary>
public sealed class CommandTableTests
{
    public static TheoryData<PlaybackState?, string> Cells()
    {
        var data = new TheoryData<PlaybackState?, string>();
        foreach (var (state, _) in CommandTable.Rows)
        {
            foreach (var command in CommandTable.Commands)
            {
                data.Add(state, command.ToString());
            }
        }

        return data;
    }

    [Fact]
    public void The_table_has_a_row_for_no_playback_and_for_every_state_and_a_column_for_every_command()
    {
        Assert.Equal([null, .. Enum.GetValues<PlaybackState>().Cast<PlaybackState?>()], CommandTable.Rows.Select(r => r.State));
        Assert.Equal(Enum.GetValues<ApiCommand>().Order(), CommandTable.Commands.Order());
        Assert.All(CommandTable.Rows, row => Assert.Equal(CommandTable.Commands.Length, row.Rules.Length));
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Every_cell_is_what_the_state_machine_does(PlaybackState? state, string commandName)
    {
        var command = Enum.Parse<ApiCommand>(commandName);
        var rule = CommandTable.RuleFor(state, command);
        var before = Build(state);
        var input = Command(command);

        if (before.DecideUnlessItMustWait(input, rule == CommandRule.Wait) is not { } t)
        {
            return;
        }

        switch (rule)
        {
            case CommandRule.Send:
                t.Sent(command, "p");
                Assert.Empty(t.Replies());
                break;
            case CommandRule.SucceedAtOnce:
                Assert.Equal(state, t.SucceededWith().State);
                t.NoRequest();
                Assert.Empty(t.Events());
                break;
            case CommandRule.ApplyLocally:
                t.NoRequest();
                Assert.Equal("p", t.SucceededWith().ControlId);
                Assert.Single(t.Events());
                break;
            default:
                var error = t.FailedWith<PlaybackStateException>();
                Assert.Equal(state, error.State);
                Assert.Same(before, t.State);
                Assert.Empty(t.Effects.Where(e => e is not ReplyToCaller));
                break;
        }
    }

    [Fact]
    public void An_acknowledged_request_leads_to_the_state_the_table_gives()
    {
        foreach (var (command, from) in new[] { (ApiCommand.Pause, Playing("p")), (ApiCommand.Resume, Paused("p")), (ApiCommand.Stop, Playing("p")), (ApiCommand.Volume, Paused("p")) })
        {
            var acked = from.Decide(Command(command), Later).State.RequestSucceeded(Later.AddSeconds(1)).State;
            Assert.Equal(CommandTable.OnAcknowledged(command) ?? from.StateOf("p"), acked.StateOf("p"));
        }

        Assert.Equal(CommandTable.OnAcknowledged(ApiCommand.Play), Starting("p").RequestSucceeded(Later).State.StateOf("p"));
    }

    [Fact]
    public void The_table_in_docs_design_md_is_the_table_in_the_code()
    {
        var design = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "design.md")).ReplaceLineEndings("\n");

        Assert.Contains(CommandTable.ToMarkdown(), design);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Playback.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Playback.sln not found above " + AppContext.BaseDirectory);
    }

    private static CallPlaybacks Build(PlaybackState? state) => state switch
    {
        null => Idle(),
        PlaybackState.Queued => QueuedBehind("a", "p"),
        PlaybackState.Starting => Starting("p"),
        PlaybackState.Playing => Playing("p"),
        PlaybackState.Paused => Paused("p"),
        PlaybackState.Finished => Finished("p"),
        PlaybackState.Stopped => Stopped("p"),
        _ => Failed("p"),
    };

    private static IPlaybackCommand Command(ApiCommand command) => command switch
    {
        ApiCommand.Play => Play("p"),
        ApiCommand.Pause => Pause("p"),
        ApiCommand.Resume => Resume("p"),
        ApiCommand.Volume => Volume("p"),
        _ => Stop("p"),
    };
}
