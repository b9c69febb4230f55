using System.Collections.Immutable;

namespace Playback;

/// <summary>
/// The playbacks of one call and every transition rule of architecture.md, as a pure immutable value:
/// state + input → new state + effects. The call's actor does the I/O, timers and stashing.
/// </summary>
/// <remarks>
/// Commands are only decided while no request is in flight (the actor stashes them meanwhile);
/// webhooks are applied at any time.
/// </remarks>
internal sealed partial record CallPlaybacks
{
    /// <summary>How many ended playbacks are remembered per call, to recognise their late webhooks.</summary>
    public const int EndedHistory = 64;

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
    public bool IsIdle => InFlight is null && Playbacks.Values.All(p => p.State.IsTerminal());

    /// <summary>The playbacks that have not ended: active first, then a play waiting for the stop of the one it replaces, then queued in order.</summary>
    public IEnumerable<PlaybackEntry> Current =>
        Playbacks.Values.Where(p => p.State.IsActive())
            .Concat(Playbacks.Values.Where(p => p.State == PlaybackState.Queued && !Queue.Contains(p.ControlId)))
            .Concat(Queue.Select(id => Playbacks[id]));


    public PlaybackSnapshot Snapshot(PlaybackEntry entry) => new(CallId, entry.ControlId, entry.State, entry.Volume, entry.Reason);

    /// <summary>Decides a caller's command. Only valid while no request is in flight.</summary>
    public Transition Decide(IPlaybackCommand command, DateTimeOffset now)
    {
        if (InFlight is not null)
        {
            throw new InvalidOperationException("A request is in flight; commands must wait (the actor stashes them).");
        }

        var step = new Step(this, now);
        if (GoneReason is not null)
        {
            step.Reply(new CommandFailed(new CallGoneException(command.Name, CallId, command.ControlId, null, GoneReason, null)));
            return step.Done();
        }

        switch (command)
        {
            case StartPlay play:
                step.StartPlay(play);
                break;
            case PausePlay pause:
                step.Control(pause, ApiCommand.Pause);
                break;
            case ResumePlay resume:
                step.Control(resume, ApiCommand.Resume);
                break;
            case StopPlay stop:
                step.Stop(stop);
                break;
            case ChangeVolume volume:
                step.Volume(volume);
                break;
            default:
                throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command));
        }

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
        if (state.CallState is "ended")
        {
            step.EndCall("call ended");
            return step.Done(WebhookResult.Accepted());
        }

        return step.Done(WebhookResult.Accepted($"call state {state.CallState} does not change playbacks"));
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
