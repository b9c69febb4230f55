namespace Playback;

/// <summary>The calls the store lists as live (sent once to the registry at start); <paramref name="Failed"/> when the store could not be read.</summary>
internal sealed record RecoverCalls(IReadOnlyCollection<string> CallIds, bool Failed);

/// <summary>Starts a listed call's actor (which recovers from the store) and asks when it is ready.</summary>
internal sealed record RecoverCall(string CallId) : IWithCallId;

/// <summary>The call's actor has its state (recovered or new); <paramref name="Live"/> when it has live playbacks.</summary>
internal sealed record CallReady(string CallId, bool Live);

/// <summary>Asks a call's actor for a playback that has not ended.</summary>
internal sealed record FindPlayback(string CallId, string ControlId) : IWithCallId;

/// <summary>The playback, or null when the call does not know it or it has ended; <paramref name="Tracked"/> when it reports by webhooks.</summary>
internal sealed record FoundPlayback(PlaybackSnapshot? Playback, bool Tracked);

/// <summary>Asks the registry for the calls it runs (before a graceful stop flushes their journals).</summary>
internal sealed record ListCalls
{
    public static readonly ListCalls Instance = new();
}

/// <summary>The calls a registry runs.</summary>
internal sealed record CallList(IReadOnlyList<string> CallIds);

/// <summary>
/// Answered with <see cref="StoreFlushed"/> once every change of the call given to its journal so far is written (and,
/// <paramref name="AndDeletes"/>, once its deletes asked for so far have reached the store: an ended call's actor, about
/// to stop, and its recorder with it).
/// </summary>
internal sealed record FlushCall(string CallId, bool AndDeletes = false) : IWithCallId;

internal sealed record StoreFlushed
{
    public static readonly StoreFlushed Instance = new();
}
