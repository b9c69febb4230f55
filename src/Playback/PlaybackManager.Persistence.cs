using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace Playback;

/// <summary>Persistence: recovery at start and finding playbacks by id (README, "Surviving restarts").</summary>
public sealed partial class PlaybackManager
{
    /// <summary>
    /// Completes once every call that had live playbacks in the store is back (at once when persistence is off). After it,
    /// <see cref="Snapshot"/>, <see cref="EventsFor"/>, webhooks and commands for those calls work as before the restart.
    /// Faults with <see cref="PlaybackStoreException"/> when the store cannot be opened or read.
    /// </summary>
    public Task Recovery { get; }

    /// <summary>How many calls the store had live when this manager started (0 when persistence is off or before <see cref="Recovery"/> completes).</summary>
    public int RecoveredCalls { get; private set; }

    internal PlaybackStore? Store { get; }

    /// <summary>A handle for a playback that has not ended, recovered from the store or started by this process.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback's control id.</param>
    /// <param name="cancellationToken">Stops waiting (the lookup itself changes nothing).</param>
    /// <returns>The handle, or null when the playback is unknown or has ended.</returns>
    /// <exception cref="ArgumentException">The call id or control id is empty or malformed.</exception>
    /// <exception cref="PlaybackStoreException">The store could not be read at start.</exception>
    public async Task<PlaybackHandle?> FindAsync(string callId, string controlId, CancellationToken cancellationToken = default)
    {
        PlayValidation.ValidateCallId(callId);
        PlayValidation.ValidateControlId(controlId, "control_id");
        ThrowIfDisposed();
        await Recovery.WaitAsync(cancellationToken).ConfigureAwait(false);
        var found = await _registry.Ask<FoundPlayback>(new FindPlayback(callId, controlId), Settings.AskTimeout, cancellationToken).ConfigureAwait(false);
        if (found.Playback is not { } playback)
        {
            return null;
        }

        var (tracker, _) = Hub.Track(callId, controlId);
        return new PlaybackHandle(this, tracker, playback, isTracked: found.Tracked);
    }

    /// <summary>Removes the rows the journal keeps of calls that have ended (it runs at start and every <see cref="PurgeInterval"/>).</summary>
    internal Task<int> PurgeStoreAsync() => Store?.PurgeAsync(_shutdown.Token) ?? Task.FromResult(0);

    /// <summary>How often ended calls' leftover journal rows are removed.</summary>
    internal static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(1);

    /// <summary>Purges at start and every <see cref="PurgeInterval"/>. Housekeeping: a failure (a store busy or down) is a warning, never a failed recovery.</summary>
    private async Task PurgeLoopAsync()
    {
        using var timer = new PeriodicTimer(PurgeInterval);
        try
        {
            do
            {
                try
                {
                    await PurgeStoreAsync().ConfigureAwait(false);
                }
                catch (PlaybackStoreException e)
                {
                    Telemetry.Logger.LogWarning("Playback store purge failed: {Reason}", e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(_shutdown.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// A system stopped without <see cref="DisposeAsync"/> first (a host whose Akka service stops before Playback's, a
    /// <c>system.Terminate()</c>) still writes what the calls hold: in the first phase of Akka's coordinated shutdown,
    /// while the call actors are alive. After <see cref="DisposeAsync"/> it does nothing (that flushed already).
    /// </summary>
    private void FlushOnSystemShutdown(ActorSystem system)
    {
        if (Store is null || _replyPath is null)
        {
            return;
        }

        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "playback-flush-store", async () =>
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                await FlushStoreAsync().ConfigureAwait(false);
            }

            return Akka.Done.Instance;
        });
    }

    /// <summary>Before a graceful stop: waits (up to 10 s) until every change given to the calls' journals is written, so that a restart resends nothing.</summary>
    private async Task FlushStoreAsync()
    {
        // Local call actors only (_replyPath is set then): a cluster's entities leave through sharding's handoff, and a
        // change written behind that does not make it is covered by resending on the new node.
        if (Store is null || _replyPath is null || _shutdown.IsCancellationRequested)
        {
            return;
        }

        try
        {
            var limit = TimeSpan.FromSeconds(10);
            var calls = await _registry.Ask<object>(ListCalls.Instance, limit).ConfigureAwait(false);
            if (calls is CallList list)
            {
                await Task.WhenAll(list.CallIds.Select(id => _registry.Ask<object>(new FlushCall(id), limit))).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            Telemetry.Logger.LogWarning("Playback store: not every change was written before the stop ({Reason}); the requests concerned are sent again after the restart", e.Message);
        }
    }

    private async Task RecoverAsync(PlaybackStore store)
    {
        IReadOnlyList<string> ids;
        try
        {
            ids = await store.OpenAsync(_shutdown.Token).ConfigureAwait(false);
        }
        catch (PlaybackStoreException e)
        {
            _registry.Tell(new RecoverCalls([], Failed: true));
            Telemetry.Logger.LogError(e, "Playback store could not be opened: {Reason}", e.Message);
            throw;
        }

        _registry.Tell(new RecoverCalls(ids, Failed: false));
        _ = Task.Run(PurgeLoopAsync); // beside the recovery: SQLite's driver does its I/O synchronously, and a purge may wait for the write lock
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(store.Settings.RecoveryParallelism);
        var live = 0;
        var tasks = ids.Select(async id =>
        {
            await gate.WaitAsync(_shutdown.Token).ConfigureAwait(false);
            try
            {
                var ready = await _registry.Ask<object>(new RecoverCall(id), Settings.AskTimeout, _shutdown.Token).ConfigureAwait(false);
                if (ready is CallReady { Live: true })
                {
                    Interlocked.Increment(ref live);
                }
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        RecoveredCalls = live;
        Telemetry.Logger.LogInformation("Playback recovered {Calls} calls with live playbacks from the store in {Elapsed} ms", live, started.ElapsedMilliseconds);
    }
}
