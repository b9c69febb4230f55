namespace Playback;

/// <summary>The changes held back for the next write are written alone (<see cref="CallRecorder.WriteBehindDelay"/>).</summary>
internal sealed record WriteHeld
{
    public static readonly WriteHeld Instance = new();
}

/// <summary>
/// Write-behind: changes that report what has already happened wait briefly in the recorder and go to the journal merged
/// into the next change, so that a caller's command waits for one write, not for the previous answer's write first.
/// </summary>
internal sealed partial class CallRecorder
{
    /// <summary>
    /// How long a change written behind waits for a next change to go with (then it is written alone). A crash within it
    /// loses only reports of what already happened: the request they answer counts as on the wire, and recovery sends it
    /// again under the truth-under-failure rules, as after a crash just before any write behind.
    /// </summary>
    internal static readonly TimeSpan WriteBehindDelay = TimeSpan.FromMilliseconds(100);

    // Changes written behind (answers, webhooks, timers) that wait to go to the journal with the next change, in one
    // write: a caller's next command then waits for one write instead of the previous answer's write and then its own.
    private List<RecordChange>? _held;
    private TimeSpan _hold;

    /// <summary>
    /// Gives the journal the changes held back and <paramref name="next"/> as one change (one row: the journal inserts one
    /// row on its fast path, several through a bulk insert that cost about twice as much here).
    /// </summary>
    private void WriteHeldChanges(RecordChange? next)
    {
        if (_held is not { Count: > 0 } held)
        {
            if (next is not null)
            {
                Write(next);
            }

            return;
        }

        Timers.Cancel(WriteHeld.Instance);
        if (next is null && held.Count == 1)
        {
            Write(held[0]);
        }
        else
        {
            // Each change was taken against the state of the one before it, the first against the last one written.
            var last = next ?? held[^1];
            var whole = last.Change.Full || held.Exists(r => r.Change.Full);
            Write(new RecordChange(whole ? CallChange.Of(last.State) : CallChange.Between(_written, last.State), last.State, last.Ack));
        }

        held.Clear();
    }
}
