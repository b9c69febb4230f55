namespace Playback.PersistenceTests;

/// <summary>How a <see cref="CrashingApi"/> treats plays.</summary>
public enum PlayCrash
{
    /// <summary>The process dies after the play's intent was written, before the request left: nothing is sent.</summary>
    BeforeSend,

    /// <summary>The process dies after the server accepted the play, before its answer was recorded.</summary>
    AfterSend,
}

/// <summary>
/// The real client (retries and all) for every command but plays, which never complete: as seen from the store, the
/// process died with the play on the wire. The manager is then stopped, as a crash would stop it.
/// </summary>
public sealed class CrashingApi(ICallingApi inner, PlayCrash crash) : ICallingApi, IDisposable
{
    private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the play reached the point of the crash.</summary>
    public Task Crashed => _sent.Task;

    public async Task PlayAsync(string callId, string controlId, IReadOnlyList<MediaItem> media, PlayOptions options, CancellationToken cancellationToken)
    {
        if (crash == PlayCrash.AfterSend)
        {
            await inner.PlayAsync(callId, controlId, media, options, cancellationToken);
        }

        _sent.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    public Task PauseAsync(string callId, string controlId, CancellationToken cancellationToken) => inner.PauseAsync(callId, controlId, cancellationToken);

    public Task ResumeAsync(string callId, string controlId, CancellationToken cancellationToken) => inner.ResumeAsync(callId, controlId, cancellationToken);

    public Task StopAsync(string callId, string controlId, CancellationToken cancellationToken) => inner.StopAsync(callId, controlId, cancellationToken);

    public Task SetVolumeAsync(string callId, string controlId, double volume, CancellationToken cancellationToken) => inner.SetVolumeAsync(callId, controlId, volume, cancellationToken);

    public void Dispose() => (inner as IDisposable)?.Dispose();
}
