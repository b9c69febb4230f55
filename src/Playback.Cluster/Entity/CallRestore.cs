using System.Collections.Immutable;

namespace Playback;

/// <summary>Cluster restore: the state handed to a successor, and the state rebuilt from a handoff or from the events this node saw.</summary>
internal static class CallRestore
{
    /// <summary>
    /// What a successor on another node needs (no request may be in flight): the playbacks that have not ended, and those
    /// ended ones still owed a stop (a play reported failed that then ran), the queue, the ended ids.
    /// </summary>
    public static CallHandoff ToHandoff(this CallPlaybacks state) =>
        new(state.CallId, state.Playbacks.Values.Where(p => !p.State.IsTerminal() || p.Unconfirmed).ToImmutableArray(), state.Queue, state.Ended);

    /// <summary>The state a predecessor handed off.</summary>
    public static CallPlaybacks FromHandoff(CallHandoff handoff) =>
        new(handoff.CallId)
        {
            Playbacks = ImmutableDictionary.CreateRange(StringComparer.Ordinal, handoff.Playbacks.Select(p => KeyValuePair.Create(p.ControlId, p))),
            Queue = handoff.Queue,
            Ended = handoff.Ended,
        };

    /// <summary>
    /// The state rebuilt from the events this node received, when no handoff came (the predecessor's node was lost): control
    /// ids, states and volumes. A playback whose play was on the wire counts as playing; queued playbacks cannot be rebuilt
    /// (their media was not in the events) and are returned as <paramref name="lost"/> for the caller to fail.
    /// </summary>
    public static CallPlaybacks FromEvents(string callId, IReadOnlyList<PlaybackSnapshot> seen, out ImmutableArray<PlaybackSnapshot> lost)
    {
        var playbacks = ImmutableDictionary.CreateBuilder<string, PlaybackEntry>(StringComparer.Ordinal);
        var dropped = ImmutableArray.CreateBuilder<PlaybackSnapshot>();
        foreach (var s in seen)
        {
            if (s.State == PlaybackState.Queued)
            {
                dropped.Add(s);
                continue;
            }

            if (s.State.IsTerminal())
            {
                continue;
            }

            var state = s.State == PlaybackState.Starting ? PlaybackState.Playing : s.State;
            playbacks[s.ControlId] = new PlaybackEntry(s.ControlId, state, s.Volume, s.Reason, ImmutableArray<MediaItem>.Empty, PlayOptions.Default with { ControlId = s.ControlId });
        }

        lost = dropped.ToImmutable();
        return new CallPlaybacks(callId) { Playbacks = playbacks.ToImmutable() };
    }

    /// <summary>Adds the playbacks of a handoff that arrived late (after this state was rebuilt from events) that this state does not know.</summary>
    public static CallPlaybacks Merge(this CallPlaybacks state, CallHandoff handoff)
    {
        var playbacks = state.Playbacks;
        var ended = state.Ended;
        var queued = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in handoff.Playbacks)
        {
            if (playbacks.TryGetValue(entry.ControlId, out var known) && !known.Media.IsEmpty)
            {
                continue;
            }

            if (state.Ended.Contains(entry.ControlId))
            {
                continue;
            }

            // Unknown, or only rebuilt from events (no media, options): the handoff's entry is complete.
            playbacks = playbacks.SetItem(entry.ControlId, known is null ? entry : entry with { State = known.State, Volume = known.Volume, Reason = known.Reason });
            if (entry.State == PlaybackState.Queued)
            {
                queued.Add(entry.ControlId);
            }
            else if (entry.State.IsTerminal())
            {
                ended = ended.Add(entry.ControlId); // owed a stop: in the ended history, as where it came from
            }
        }

        // In the handoff's queue order: its playbacks come in no particular order (they are a dictionary's values).
        var queue = state.Queue.AddRange(handoff.Queue.Where(id => queued.Contains(id) && !state.Queue.Contains(id)));

        return state with { Playbacks = playbacks, Queue = queue, Ended = ended };
    }
}
