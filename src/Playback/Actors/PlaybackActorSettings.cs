namespace Playback;

/// <summary>What a call actor needs besides its call id.</summary>
internal sealed record PlaybackActorSettings(ICallingApi Api, PlaybackEventHub Hub, PlaybackCounters Counters, TimeSpan IdleTimeout, TimeSpan StatusTimeout, CancellationToken Shutdown);
