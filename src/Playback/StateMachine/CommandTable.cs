using System.Collections.Immutable;

namespace Playback;

/// <summary>What a caller's command does, decided from the state of its playback alone.</summary>
internal enum CommandRule
{
    /// <summary>A request goes on the wire; the reply waits for its outcome.</summary>
    Send,

    /// <summary>Already in the asked state: succeeds at once, nothing is sent.</summary>
    SucceedAtOnce,

    /// <summary>The playback is queued (nothing reached the server): the change is applied here, nothing is sent.</summary>
    ApplyLocally,

    /// <summary>No playback with that control id: refused at once.</summary>
    RefuseUnknown,

    /// <summary>The playback has ended: refused at once.</summary>
    RefuseEnded,

    /// <summary>The playback is queued and has not started: only stop and volume apply.</summary>
    RefuseQueued,

    /// <summary>A play whose control id is already used on the call: refused at once.</summary>
    RefuseUsed,

    /// <summary>A request for the call is on the wire: the command waits for its outcome (the actor holds it) and is decided then.</summary>
    Wait,
}

/// <summary>
/// The states × commands table of <c>architecture.md</c>, as data: what each command does in each state of its playback
/// (<c>null</c>: the call has no playback with that control id), and the state an acknowledged request leads to. The
/// command rules of <see cref="CallPlaybacks"/> read it; <c>docs/design.md</c> shows it (rendered by <see cref="ToMarkdown"/>).
/// Two rules sit outside the table because they are about the call, not the playback: a call that is gone refuses every
/// command, and a play for a new control id on a busy call follows its <see cref="PlayOptions.WhenBusy"/>.
/// </summary>
internal static class CommandTable
{
    /// <summary>The columns, in order.</summary>
    public static readonly ImmutableArray<ApiCommand> Commands = [ApiCommand.Play, ApiCommand.Pause, ApiCommand.Resume, ApiCommand.Volume, ApiCommand.Stop];

    /// <summary>The rows: a playback's state (null: unknown control id) → the rule for each command, in <see cref="Commands"/> order.</summary>
    public static readonly ImmutableArray<(PlaybackState? State, ImmutableArray<CommandRule> Rules)> Rows =
    [
        //                        Play                       Pause                      Resume                     Volume                     Stop
        (null,                   [CommandRule.Send,         CommandRule.RefuseUnknown, CommandRule.RefuseUnknown, CommandRule.RefuseUnknown, CommandRule.RefuseUnknown]),
        (PlaybackState.Queued,   [CommandRule.RefuseUsed,   CommandRule.RefuseQueued,  CommandRule.RefuseQueued,  CommandRule.ApplyLocally,  CommandRule.ApplyLocally]),
        (PlaybackState.Starting, [CommandRule.Wait,         CommandRule.Wait,          CommandRule.Wait,          CommandRule.Wait,          CommandRule.Wait]),
        (PlaybackState.Playing,  [CommandRule.RefuseUsed,   CommandRule.Send,          CommandRule.SucceedAtOnce, CommandRule.Send,          CommandRule.Send]),
        (PlaybackState.Paused,   [CommandRule.RefuseUsed,   CommandRule.SucceedAtOnce, CommandRule.Send,          CommandRule.Send,          CommandRule.Send]),
        (PlaybackState.Finished, [CommandRule.RefuseUsed,   CommandRule.RefuseEnded,   CommandRule.RefuseEnded,   CommandRule.RefuseEnded,   CommandRule.RefuseEnded]),
        (PlaybackState.Stopped,  [CommandRule.RefuseUsed,   CommandRule.RefuseEnded,   CommandRule.RefuseEnded,   CommandRule.RefuseEnded,   CommandRule.RefuseEnded]),
        (PlaybackState.Failed,   [CommandRule.RefuseUsed,   CommandRule.RefuseEnded,   CommandRule.RefuseEnded,   CommandRule.RefuseEnded,   CommandRule.RefuseEnded]),
    ];

    /// <summary>The rule for <paramref name="command"/> on a playback in <paramref name="state"/> (null: unknown control id).</summary>
    public static CommandRule RuleFor(PlaybackState? state, ApiCommand command)
    {
        foreach (var (rowState, rules) in Rows)
        {
            if (rowState == state)
            {
                return rules[Commands.IndexOf(command)];
            }
        }

        throw new ArgumentOutOfRangeException(nameof(state), state, "No row for this state.");
    }

    /// <summary>The state an acknowledged (2xx) request leaves its playback in; null: the state does not change (volume).</summary>
    public static PlaybackState? OnAcknowledged(ApiCommand command) => command switch
    {
        ApiCommand.Play or ApiCommand.Resume => PlaybackState.Playing,
        ApiCommand.Pause => PlaybackState.Paused,
        ApiCommand.Stop => PlaybackState.Stopped,
        _ => null,
    };

    /// <summary>The table as Markdown, the form <c>docs/design.md</c> shows (a test keeps the two equal).</summary>
    public static string ToMarkdown()
    {
        var lines = new List<string>
        {
            "| playback is | " + string.Join(" | ", Commands) + " |",
            "|---|" + string.Concat(Enumerable.Repeat("---|", Commands.Length)),
        };
        lines.AddRange(Rows.Select(row => $"| {row.State?.ToString() ?? "(unknown id)"} | " + string.Join(" | ", row.Rules) + " |"));
        lines.Add("| on 2xx | " + string.Join(" | ", Commands.Select(c => OnAcknowledged(c)?.ToString() ?? "(same)")) + " |");
        return string.Join('\n', lines);
    }
}
