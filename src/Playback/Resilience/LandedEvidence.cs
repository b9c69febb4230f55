using System.Collections.Concurrent;

namespace Playback;

/// <summary>
/// Control ids for which a webhook arrived while their command was on the wire: proof that an earlier attempt landed,
/// read by <see cref="ResilientCallingApi"/> before it retries. Written by the call actors (only for the command in flight),
/// so it holds at most one entry per call with a request on the wire.
/// </summary>
internal sealed class LandedEvidence
{
    private readonly ConcurrentDictionary<(string CallId, string ControlId), bool> _landed = new();

    /// <summary>Whether a webhook proved that the command in flight for this control id landed.</summary>
    public bool Landed(string callId, string controlId) => _landed.ContainsKey((callId, controlId));

    /// <summary>Records the proof.</summary>
    public void Record(string callId, string controlId) => _landed[(callId, controlId)] = true;

    /// <summary>Forgets it once the command's outcome is known.</summary>
    public void Forget(string callId, string controlId) => _landed.TryRemove((callId, controlId), out _);
}
