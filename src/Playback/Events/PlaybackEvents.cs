namespace Playback;

/// <summary>What a <see cref="PlaybackEvent"/> reports.</summary>
public enum PlaybackChange
{
    /// <summary>The state changed (see <see cref="PlaybackEvent.PreviousState"/>).</summary>
    State,

    /// <summary>The volume changed; the state did not.</summary>
    Volume,
}

/// <summary>One change of one playback, as published on the Rx streams.</summary>
/// <param name="CallId">The call.</param>
/// <param name="ControlId">The playback.</param>
/// <param name="State">The state after the change.</param>
/// <param name="PreviousState">The state before; null for the playback's first event.</param>
/// <param name="Volume">The volume in dB after the change (0 = the API default).</param>
/// <param name="Reason">Why, for terminal and server-driven changes (e.g. "stopped", "call gone", the API's error text).</param>
/// <param name="Timestamp">When Playback applied the change (actor system clock).</param>
/// <param name="Change">Whether the state or the volume changed.</param>
public sealed record PlaybackEvent(
    string CallId,
    string ControlId,
    PlaybackState State,
    PlaybackState? PreviousState,
    double Volume,
    string? Reason,
    DateTimeOffset Timestamp,
    PlaybackChange Change);

/// <summary>A playback's current state.</summary>
/// <param name="CallId">The call.</param>
/// <param name="ControlId">The playback.</param>
/// <param name="State">Its state.</param>
/// <param name="Volume">Its volume in dB.</param>
/// <param name="Reason">Why it is in that state, when known.</param>
public sealed record PlaybackSnapshot(string CallId, string ControlId, PlaybackState State, double Volume, string? Reason);

/// <summary>How a playback ended.</summary>
/// <param name="CallId">The call.</param>
/// <param name="ControlId">The playback.</param>
/// <param name="State"><see cref="PlaybackState.Finished"/>, <see cref="PlaybackState.Stopped"/> or <see cref="PlaybackState.Failed"/>.</param>
/// <param name="Reason">Why, when known.</param>
public sealed record PlaybackOutcome(string CallId, string ControlId, PlaybackState State, string? Reason);
