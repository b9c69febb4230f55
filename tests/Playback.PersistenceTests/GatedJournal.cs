using System.Collections.Immutable;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace Playback.PersistenceTests;

/// <summary>
/// An in-memory journal whose writes wait while its gate is closed (a slow store) and that says when a write arrives
/// at the closed gate, or fails every write (<see cref="FailWrites"/>). One test at a time uses it (the gate is static:
/// Akka creates the journal).
/// </summary>
public sealed class GatedJournal : MemoryJournal
{
    private static TaskCompletionSource s_open = Opened();
    private static TaskCompletionSource s_arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While set, every write fails (a store that is down).</summary>
    public static volatile bool FailWrites;

    /// <summary>Completes when a write arrives while the gate is closed.</summary>
    public static Task Arrived => s_arrived.Task;

    /// <summary>Holds every write from now on until <see cref="Open"/>.</summary>
    public static void Close()
    {
        s_arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        s_open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static void Open() => s_open.TrySetResult();

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        if (FailWrites)
        {
            throw new IOException("the store is down");
        }

        var gate = s_open;
        if (!gate.Task.IsCompleted)
        {
            s_arrived.TrySetResult();
            await gate.Task.ConfigureAwait(false);
        }

        return await base.WriteMessagesAsync(messages, cancellationToken).ConfigureAwait(false);
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
