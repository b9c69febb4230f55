using System.Collections.Immutable;

namespace Playback;

/// <summary>
/// What one transition of <see cref="CallPlaybacks"/> changed, as the journal stores it: the playbacks it added or changed
/// (whole), those it dropped, and the call-level fields that changed. A snapshot is the change from an empty call.
/// Recovery applies changes to the last snapshot; the rules are not run again, so a recovered call is exactly what was
/// decided, whatever later versions of the rules would decide (README, "Surviving restarts").
/// </summary>
internal sealed record CallChange(string CallId)
{
    public ImmutableArray<PlaybackEntry> Upserted { get; init; } = ImmutableArray<PlaybackEntry>.Empty;

    public ImmutableArray<string> Removed { get; init; } = ImmutableArray<string>.Empty;

    /// <summary>The new queue; null when unchanged.</summary>
    public ImmutableList<string>? Queue { get; init; }

    /// <summary>The new ended history; null when unchanged.</summary>
    public ImmutableList<string>? Ended { get; init; }

    public bool InFlightChanged { get; init; }

    public InFlightRequest? InFlight { get; init; }

    public bool PendingReplaceChanged { get; init; }

    public string? PendingReplace { get; init; }

    public bool GoneChanged { get; init; }

    public string? GoneReason { get; init; }

    /// <summary>A whole state (a snapshot, or a resync after a failed write): applied to an empty call.</summary>
    public bool Full { get; init; }

    public bool IsEmpty =>
        Upserted.IsEmpty && Removed.IsEmpty && Queue is null && Ended is null && !InFlightChanged && !PendingReplaceChanged && !GoneChanged;

    /// <summary>The change from <paramref name="before"/> to <paramref name="after"/> (unchanged entries are the same instances).</summary>
    public static CallChange Between(CallPlaybacks before, CallPlaybacks after)
    {
        var upserted = ImmutableArray.CreateBuilder<PlaybackEntry>();
        foreach (var (id, entry) in after.Playbacks)
        {
            if (!before.Playbacks.TryGetValue(id, out var old) || !ReferenceEquals(old, entry) && old != entry)
            {
                upserted.Add(entry);
            }
        }

        var removed = before.Playbacks.Keys.Where(id => !after.Playbacks.ContainsKey(id)).ToImmutableArray();
        return new CallChange(after.CallId)
        {
            Upserted = upserted.ToImmutable(),
            Removed = removed,
            Queue = SameList(before.Queue, after.Queue) ? null : after.Queue,
            Ended = SameList(before.Ended, after.Ended) ? null : after.Ended,
            InFlightChanged = before.InFlight != after.InFlight,
            InFlight = after.InFlight,
            PendingReplaceChanged = before.PendingReplace != after.PendingReplace,
            PendingReplace = after.PendingReplace,
            GoneChanged = before.GoneReason != after.GoneReason,
            GoneReason = after.GoneReason,
        };
    }

    /// <summary>The whole state as one change (a snapshot).</summary>
    public static CallChange Of(CallPlaybacks state) => Between(new CallPlaybacks(state.CallId), state) with { Full = true };

    /// <summary>Applies this change.</summary>
    public CallPlaybacks ApplyTo(CallPlaybacks state)
    {
        if (Full)
        {
            state = new CallPlaybacks(CallId);
        }

        var playbacks = state.Playbacks.RemoveRange(Removed);
        foreach (var entry in Upserted)
        {
            playbacks = playbacks.SetItem(entry.ControlId, entry);
        }

        return state with
        {
            Playbacks = playbacks,
            Queue = Queue ?? state.Queue,
            Ended = Ended ?? state.Ended,
            InFlight = InFlightChanged ? InFlight : state.InFlight,
            PendingReplace = PendingReplaceChanged ? PendingReplace : state.PendingReplace,
            GoneReason = GoneChanged ? GoneReason : state.GoneReason,
        };
    }

    private static bool SameList(ImmutableList<string> a, ImmutableList<string> b) => ReferenceEquals(a, b) || a.SequenceEqual(b, StringComparer.Ordinal);
}
