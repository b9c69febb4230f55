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
