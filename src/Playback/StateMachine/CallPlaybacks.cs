using System.Collections.Immutable;

namespace Playback;

/// <summary>
/// The playbacks of one call and every transition rule of architecture.md, as a pure immutable value:
/// state + input → new state + effects. The call's actor does the I/O and timers, and holds commands while a request is in flight.
/// </summary>
/// <remarks>
/// Commands are only decided while no request is in flight (the actor holds them meanwhile), each by its row of
/// <see cref="CommandTable"/>;
/// webhooks are applied at any time.
/// </remarks>
internal sealed partial record CallPlaybacks
{
    /// <summary>How many ended playbacks are remembered per call, to recognise their late webhooks.</summary>
    public const int EndedHistory = 64;

    /// <summary>
    /// How far apart the server's clock (a webhook's <c>timestamp</c>) and this host's (when a command was acknowledged)
    /// may be: a <c>playing</c>/<c>paused</c> report stamped up to this long after an acknowledgement is taken as possibly
    /// sent before it (stale), and does not confirm the command on the wire. Without it, a server clock ahead of the host
    /// would let a report sent before an acknowledged pause turn the playback back to playing.
    /// </summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(2);

    public CallPlaybacks(string callId)
    {
        CallId = callId;
    }

    public string CallId { get; }

    public ImmutableDictionary<string, PlaybackEntry> Playbacks { get; init; } = ImmutableDictionary<string, PlaybackEntry>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Control ids waiting to start, in order.</summary>
    public ImmutableList<string> Queue { get; init; } = ImmutableList<string>.Empty;

    /// <summary>Ended control ids, oldest first, bounded by <see cref="EndedHistory"/>.</summary>
    public ImmutableList<string> Ended { get; init; } = ImmutableList<string>.Empty;

    /// <summary>The request on the wire, if any.</summary>
    public InFlightRequest? InFlight { get; init; }

    /// <summary>Why the call is gone; null while it is alive.</summary>
    public string? GoneReason { get; init; }

    /// <summary>No request in flight and no playback that is queued or active.</summary>
    public bool IsIdle
    {
        get
        {
            if (InFlight is not null)
            {
                return false;
            }

            // The dictionary's own (struct) enumerator: read on every message the call handles, so no iterator or delegate.
            foreach (var (_, playback) in Playbacks)
            {
                if (!playback.State.IsTerminal() || playback.Unconfirmed)
                {
                    return false; // live, or owed a stop (see PlaybackEntry.Unconfirmed)
                }
            }

            return true;
        }
    }

    /// <summary>
    /// A play (<see cref="PlayConflict.Replace"/>) waiting for the stop of the playback it replaces, which is the request in
    /// flight. It is Queued but not in <see cref="Queue"/>: it starts as soon as that stop's outcome is known, and fails if
    /// the stop fails or the call ends meanwhile.
    /// </summary>
    public string? PendingReplace { get; init; }

    /// <summary>The playbacks that have not ended: active first, then the <see cref="PendingReplace"/>, then queued in order.</summary>
    public IEnumerable<PlaybackEntry> Current =>
        Playbacks.Values.Where(p => p.State.IsActive())
            .Concat(PendingReplace is { } replacing && Playbacks.TryGetValue(replacing, out var pending) && !pending.State.IsTerminal() ? [pending] : [])
            .Concat(Queue.Select(id => Playbacks[id]));

    public PlaybackSnapshot Snapshot(PlaybackEntry entry) => new(CallId, entry.ControlId, entry.State, entry.Volume, entry.Reason);

    /// <summary>Decides a caller's command. Only valid while no request is in flight.</summary>
    public Transition Decide(IPlaybackCommand command, DateTimeOffset now)
    {
        if (InFlight is not null)
        {
            throw new InvalidOperationException("A request is in flight; commands must wait (the actor holds them).");
        }

        var step = new Step(this, now);
        if (GoneReason is not null)
        {
            step.RefuseGone(command, GoneReason);
            return step.Done();
        }

        step.Command(command);
        return step.Done();
    }

    /// <summary>Applies the 2xx answer to the request in flight.</summary>
    public Transition RequestSucceeded(DateTimeOffset now)
    {
        var step = new Step(this, now);
        step.Succeeded();
        return step.Done();
    }

    /// <summary>Applies the failure of the request in flight.</summary>
    public Transition RequestFailed(PlaybackException error, DateTimeOffset now)
    {
        var step = new Step(this, now);
        step.Failed(error);
        return step.Done();
    }

    /// <summary>Applies a <c>calling.call.play</c> webhook.</summary>
    public Transition PlayStatus(PlayStatusReceived status, DateTimeOffset now)
    {
        var step = new Step(this, now);
        var result = step.PlayStatus(status);
        return step.Done(result);
    }

    /// <summary>Applies a <c>calling.call.state</c> webhook.</summary>
    public Transition CallState(CallStateReceived state, DateTimeOffset now)
    {
        var step = new Step(this, now);
        var result = step.CallState(state);
        return step.Done(result);
    }

    /// <summary>The watchdog fired: a playing playback has had no news for the status timeout.</summary>
    public Transition StatusTimedOut(string controlId, DateTimeOffset now)
    {
        var step = new Step(this, now);
        step.StatusTimedOut(controlId);
        return step.Done();
    }

    /// <summary>The settle timer of an unconfirmed play fired: try its stop again. Only valid while no request is in flight.</summary>
    public Transition SettleAgain(string controlId, DateTimeOffset now)
    {
        var step = new Step(this, now);
        step.SettleAgain(controlId);
        return step.Done();
    }

    /// <summary>Ends every playback because the call is gone (404, or system-level knowledge).</summary>
    public Transition CallGone(string reason, DateTimeOffset now)
    {
        var step = new Step(this, now);
        step.EndCall(reason);
        return step.Done();
    }
}
