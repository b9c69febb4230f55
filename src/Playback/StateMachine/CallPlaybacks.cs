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
internal sealed record CallPlaybacks
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

    /// <summary>What a successor on another node needs (no request may be in flight): the playbacks that have not ended, the queue, the ended ids.</summary>
    public CallHandoff ToHandoff() =>
        new(CallId, Playbacks.Values.Where(p => !p.State.IsTerminal()).ToImmutableArray(), Queue, Ended);

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
    public CallPlaybacks Merge(CallHandoff handoff)
    {
        var playbacks = Playbacks;
        var queued = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in handoff.Playbacks)
        {
            if (playbacks.TryGetValue(entry.ControlId, out var known) && !known.Media.IsEmpty)
            {
                continue;
            }

            if (Ended.Contains(entry.ControlId))
            {
                continue;
            }

            // Unknown, or only rebuilt from events (no media, options): the handoff's entry is complete.
            playbacks = playbacks.SetItem(entry.ControlId, known is null ? entry : entry with { State = known.State, Volume = known.Volume, Reason = known.Reason });
            if (entry.State == PlaybackState.Queued)
            {
                queued.Add(entry.ControlId);
            }
        }

        // In the handoff's queue order: its playbacks come in no particular order (they are a dictionary's values).
        var queue = Queue.AddRange(handoff.Queue.Where(id => queued.Contains(id) && !Queue.Contains(id)));

        return this with { Playbacks = playbacks, Queue = queue };
    }

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

    /// <summary>The transition being built: a private mutable helper that keeps the public value immutable.</summary>
    private sealed class Step(CallPlaybacks state, DateTimeOffset now)
    {
        private readonly ImmutableArray<Effect>.Builder _effects = ImmutableArray.CreateBuilder<Effect>();
        private readonly CallPlaybacks _initial = state;

        /// <summary>Playbacks that had news in this step (a webhook or an acknowledged command), even when their entry did not change.</summary>
        private readonly HashSet<string> _news = new(StringComparer.Ordinal);
        private CallPlaybacks _state = state;

        private string CallId => _state.CallId;

        public Transition Done(WebhookResult? webhook = null)
        {
            StartNextQueued();
            WatchChanged();
            return new Transition(_state, _effects.ToImmutable(), webhook);
        }

        public void StatusTimedOut(string controlId)
        {
            if (_state.Playbacks.TryGetValue(controlId, out var entry) && entry.State == PlaybackState.Playing)
            {
                if (_state.InFlight?.Request.ControlId == controlId || (entry.Unconfirmed && !entry.Heard))
                {
                    // Its request's outcome will tell, or the stops that settle an unconfirmed play will (it may be playing, so
                    // it is never reported failed on silence alone); re-arm so the watchdog still applies afterwards.
                    _news.Add(controlId);
                }
                else
                {
                    Change(controlId, PlaybackState.Failed, "no status received");
                }
            }
        }

        public void SettleAgain(string controlId)
        {
            if (_state.GoneReason is null && _state.Playbacks.TryGetValue(controlId, out var entry)
                && entry is { Unconfirmed: true, Heard: false } && !entry.State.IsTerminal())
            {
                Update(controlId, e => e with { Settling = true });
                Send(new ApiRequest(ApiCommand.Stop, controlId), hasCaller: false, settles: true);
            }
        }

        /// <summary>Re-arms the watchdog of every playback that had news in this step, and disarms those no longer playing.</summary>
        private void WatchChanged()
        {
            static bool Watched(PlaybackEntry? e) => e is { State: PlaybackState.Playing, Watchable: true };
            foreach (var (id, after) in _state.Playbacks)
            {
                var before = _initial.Playbacks.GetValueOrDefault(id);
                if (before == after && !_news.Contains(id))
                {
                    continue;
                }

                if (Watched(after) || Watched(before))
                {
                    _effects.Add(new Watch(id, Watched(after)));
                }
            }

            foreach (var (id, before) in _initial.Playbacks)
            {
                if (!_state.Playbacks.ContainsKey(id) && Watched(before))
                {
                    _effects.Add(new Watch(id, false));
                }
            }
        }

        public void Reply(CommandReply reply) => _effects.Add(new ReplyToCaller(reply));

        public void StartPlay(StartPlay play)
        {
            if (_state.Playbacks.TryGetValue(play.ControlId, out var existing))
            {
                Fail(play, $"control id {play.ControlId} is already used on call {CallId} ({existing.State}); choose a new one", existing.State);
                return;
            }

            var active = _state.Playbacks.Values.FirstOrDefault(p => p.State.IsActive());
            var entry = new PlaybackEntry(play.ControlId, PlaybackState.Queued, play.Options.Volume ?? 0, null, play.Media, play.Options);
            if (active is null && _state.Queue.IsEmpty)
            {
                Put(entry);
                Start(play.ControlId, hasCaller: true, isNew: true);
                return;
            }

            var busyWith = active?.ControlId ?? _state.Queue[0];
            switch (play.Options.WhenBusy)
            {
                case PlayConflict.Reject:
                    Fail(play, $"call {CallId} already has playback {busyWith} ({_state.Playbacks[busyWith].State}) and WhenBusy is Reject", null);
                    break;
                case PlayConflict.Replace:
                    foreach (var queued in _state.Queue)
                    {
                        Change(queued, PlaybackState.Stopped, $"replaced by {play.ControlId}");
                    }

                    Put(entry);
                    Publish(null, entry);
                    if (active is null)
                    {
                        Start(play.ControlId, hasCaller: true, isNew: false);
                    }
                    else
                    {
                        Update(active.ControlId, e => e with { StopSent = true });
                        Send(new ApiRequest(ApiCommand.Stop, active.ControlId), hasCaller: true, thenPlay: play.ControlId);
                    }

                    break;
                default:
                    Put(entry);
                    _state = _state with { Queue = _state.Queue.Add(play.ControlId) };
                    Publish(null, entry);
                    Reply(new CommandSucceeded(_state.Snapshot(entry)));
                    break;
            }
        }

        public void Control(IPlaybackCommand command, ApiCommand kind)
        {
            if (!TryGetControllable(command, out var entry))
            {
                return;
            }

            var target = kind == ApiCommand.Pause ? PlaybackState.Paused : PlaybackState.Playing;
            if (entry.State == target)
            {
                Reply(new CommandSucceeded(_state.Snapshot(entry)));
                return;
            }

            Send(new ApiRequest(kind, entry.ControlId), hasCaller: true);
        }

        public void Stop(StopPlay stop)
        {
            if (_state.Playbacks.TryGetValue(stop.ControlId, out var queued) && queued.State == PlaybackState.Queued)
            {
                Change(stop.ControlId, PlaybackState.Stopped, "stopped before it started");
                Reply(new CommandSucceeded(_state.Snapshot(_state.Playbacks[stop.ControlId])));
                return;
            }

            if (!TryGetControllable(stop, out var entry))
            {
                return;
            }

            Update(entry.ControlId, e => e with { StopSent = true });
            Send(new ApiRequest(ApiCommand.Stop, entry.ControlId), hasCaller: true);
        }

        public void Volume(ChangeVolume volume)
        {
            if (_state.Playbacks.TryGetValue(volume.ControlId, out var queued) && queued.State == PlaybackState.Queued)
            {
                // A queued playback has not reached the server: it will simply start at the new level.
                var updated = Update(volume.ControlId, e => e with { Volume = volume.Volume, Options = e.Options with { Volume = volume.Volume } });
                Publish(queued, updated, PlaybackChange.Volume);
                Reply(new CommandSucceeded(_state.Snapshot(updated)));
                return;
            }

            if (!TryGetControllable(volume, out var entry))
            {
                return;
            }

            Send(new ApiRequest(ApiCommand.Volume, entry.ControlId) { Volume = volume.Volume }, hasCaller: true);
        }

        public void Succeeded()
        {
            var flight = TakeInFlight();
            if (flight.Settles)
            {
                // The stop sent to settle a play whose outcome was unknown was accepted: whatever the play did, it is not
                // playing now, so it can be reported as failed.
                Change(flight.Request.ControlId, PlaybackState.Failed, $"{flight.Error?.Message ?? "calling.play's outcome was unknown."} Its outcome was unknown, so Playback stopped it.");
                ReplyFailed(flight);
                return;
            }

            Acknowledged(flight);
        }

        /// <summary>Applies what an accepted command means (also a stop the server refused because nothing was playing).</summary>
        private void Acknowledged(InFlightRequest flight, string? stopReason = null)
        {
            var id = flight.Request.ControlId;
            var entry = _state.Playbacks.GetValueOrDefault(id);
            if (entry is not null && !entry.State.IsTerminal())
            {
                _news.Add(id);
                entry = Update(id, e => e with { LastAckAt = now });
                switch (flight.Request.Command)
                {
                    case ApiCommand.Play when entry.State == PlaybackState.Starting:
                    case ApiCommand.Resume when entry.State == PlaybackState.Paused:
                        Change(id, PlaybackState.Playing, null);
                        break;
                    case ApiCommand.Pause when entry.State == PlaybackState.Playing:
                        Change(id, PlaybackState.Paused, null);
                        break;
                    case ApiCommand.Stop:
                        Change(id, PlaybackState.Stopped, flight.ThenPlay is null ? stopReason ?? "stopped" : $"replaced by {flight.ThenPlay}");
                        break;
                    case ApiCommand.Volume:
                        var changed = Update(id, e => e with { Volume = flight.Request.Volume });
                        Publish(entry, changed, PlaybackChange.Volume);
                        break;
                }
            }

            if (flight.ThenPlay is { } next)
            {
                if (_state.GoneReason is null)
                {
                    Start(next, flight.HasCaller);
                }
                else if (flight.HasCaller)
                {
                    // The call ended while the replacing stop was in flight: the new play has already failed; never send it.
                    Reply(new CommandFailed(new CallGoneException(CallingApi.Commands.Play, CallId, next, null, _state.GoneReason, null)));
                }

                return;
            }

            ReplyWith(flight, id);
        }

        public void Failed(PlaybackException error)
        {
            var flight = TakeInFlight();
            if (error is CallGoneException gone)
            {
                // Evidence that the call ended: a 404 on calling.play (a new play can only miss the call), or an API that says so.
                EndCall("call gone: " + (gone.ServerMessage ?? "404"));
                ReplyFailed(flight, error);
                return;
            }

            var api = error as CallingApiException;
            if (flight.Settles)
            {
                SettleFailed(flight, api);
                return;
            }

            switch (flight.Request.Command)
            {
                case ApiCommand.Play:
                    PlayFailed(flight, error, api);
                    break;
                case ApiCommand.Stop:
                    StopFailed(flight, error, api);
                    break;
                default:
                    ControlFailed(flight, error, api);
                    break;
            }
        }

        /// <summary>
        /// A play failed. When an attempt may have landed (<see cref="CallingApiException.MayHaveBeenApplied"/>) it is never
        /// just reported failed: a webhook for its control id proves it landed; a retry refused for its <c>control_id</c>
        /// (structure, not wording) says so; otherwise Playback stops it first and reports failure after the stop.
        /// </summary>
        private void PlayFailed(InFlightRequest flight, PlaybackException error, CallingApiException? api)
        {
            var id = flight.Request.ControlId;
            var entry = _state.Playbacks.GetValueOrDefault(id);
            if (entry is null || _state.GoneReason is not null || api is not { MayHaveBeenApplied: true })
            {
                if (entry is not null)
                {
                    Change(id, PlaybackState.Failed, error.Message);
                }

                ReplyFailed(flight, error);
                return;
            }

            if (entry.Heard)
            {
                // A webhook for this control id arrived: the play reached the server, whatever the retries were told.
                if (entry.State == PlaybackState.Starting)
                {
                    Change(id, PlaybackState.Playing, null);
                }

                _news.Add(id);
                ReplyWith(flight, id);
                return;
            }

            if (api.NamesAttribute("control_id"))
            {
                Change(id, PlaybackState.Playing, "unconfirmed: an attempt's answer was lost and the retry was refused for its control_id, so the play is taken as playing");
                ReplyWith(flight, id);
                return;
            }

            // Nothing proves either way: stop it before reporting failure, so nothing reported failed can still be playing.
            Update(id, e => e with { Settling = true });
            Send(new ApiRequest(ApiCommand.Stop, id), flight.HasCaller, settles: true, error: error);
        }

        /// <summary>The stop sent to settle an unknown play failed.</summary>
        private void SettleFailed(InFlightRequest flight, CallingApiException? stopError)
        {
            var id = flight.Request.ControlId;
            var entry = _state.Playbacks.GetValueOrDefault(id);
            if (entry is null || entry.State.IsTerminal())
            {
                ReplyFailed(flight);
                return;
            }

            if (entry.Heard)
            {
                // A webhook during the stop showed the play running: it landed, and the stop did not take.
                Update(id, e => e with { Unconfirmed = false });
                if (entry.State == PlaybackState.Starting)
                {
                    Change(id, PlaybackState.Playing, null);
                }

                _news.Add(id);
                if (flight.Error is null)
                {
                    return;
                }

                ReplyWith(flight, id);
                return;
            }

            if (stopError is { IsTransient: false, MayHaveBeenApplied: false, StatusCode: 404 or 422 })
            {
                // The server has no such play to stop: it never started (or has ended).
                Change(id, PlaybackState.Failed, flight.Error?.Message ?? entry.Reason);
                ReplyFailed(flight);
                return;
            }

            // The play may be running and could not be stopped: it is tracked as live and never reported failed; the stop is
            // tried again later (and a webhook or a stop of yours settles it meanwhile). The caller hears the play's own
            // failure, marked MayHaveBeenApplied.
            Update(id, e => e with { Unconfirmed = true });
            if (entry.State == PlaybackState.Starting)
            {
                Change(id, PlaybackState.Playing, $"unconfirmed: {flight.Error?.Message} The stop sent to settle it failed too, so it is tracked as playing until a stop settles it.");
            }

            _news.Add(id);
            _effects.Add(new SettleLater(id));
            ReplyFailed(flight);
        }

        /// <summary>A stop failed. A refusal (404, 422: nothing is playing under that control id) and a refused retry of a stop whose earlier attempt may have landed both end the playback as stopped.</summary>
        private void StopFailed(InFlightRequest flight, PlaybackException error, CallingApiException? api)
        {
            var id = flight.Request.ControlId;
            var entry = _state.Playbacks.GetValueOrDefault(id);
            if (entry is not null && entry.State.IsTerminal())
            {
                // It ended meanwhile (its finished or error webhook came while the stop was on the wire): nothing plays, which
                // is what the stop asked for, whatever its request was told.
                Acknowledged(flight);
                return;
            }

            if (entry is not null && !entry.State.IsTerminal()
                && api is { IsTransient: false } && (api.MayHaveBeenApplied || api.StatusCode is 404 or 422))
            {
                // Either an earlier attempt landed (its answer was lost) and the retry was refused, however it was worded, or
                // the server refused the only attempt because it has no active play with that control id (404, 422).
                Acknowledged(flight, api.MayHaveBeenApplied ? "stopped" : $"stopped: the server had no active play for it ({api.StatusCode})");
                return;
            }

            if (entry is not null && !entry.State.IsTerminal() && api is not { MayHaveBeenApplied: true })
            {
                // Certainly not applied: a finished webhook will mean Finished again.
                Update(id, e => e with { StopSent = false });
            }

            if (flight.ThenPlay is { } next)
            {
                Change(next, PlaybackState.Failed, $"could not stop {id} to replace it: {error.Message}");
            }

            ReplyFailed(flight, error);
        }

        /// <summary>Pause, resume or volume failed. A 404 ends that playback only: the server no longer knows its control id.</summary>
        private void ControlFailed(InFlightRequest flight, PlaybackException error, CallingApiException? api)
        {
            var id = flight.Request.ControlId;
            if (api is { StatusCode: 404 } && _state.Playbacks.TryGetValue(id, out var entry) && !entry.State.IsTerminal())
            {
                Change(id, entry.StopSent ? PlaybackState.Stopped : PlaybackState.Failed, entry.StopSent
                    ? "stopped"
                    : $"the server no longer knows this playback (404 on {flight.Request.WireName}): it ended, or its call did");
            }

            ReplyFailed(flight, error);
        }

        private void ReplyFailed(InFlightRequest flight, PlaybackException error)
        {
            if (flight.HasCaller)
            {
                Reply(new CommandFailed(error));
            }
        }

        /// <summary>Replies to the caller of a play being settled with the play's own failure.</summary>
        private void ReplyFailed(InFlightRequest flight)
        {
            if (flight.Error is { } error)
            {
                ReplyFailed(flight, error);
            }
        }

        public WebhookResult PlayStatus(PlayStatusReceived status)
        {
            if (!_state.Playbacks.TryGetValue(status.ControlId, out var entry))
            {
                return WebhookResult.Ignored($"unknown control id {status.ControlId} on call {CallId}");
            }

            if (status.Timestamp is { } ts && (entry.LastEventAt is null || ts > entry.LastEventAt))
            {
                entry = Update(entry.ControlId, e => e with { LastEventAt = ts });
            }

            if (entry.State.IsTerminal())
            {
                return WebhookResult.Accepted($"playback {entry.ControlId} has already ended ({entry.State})");
            }

            if (!entry.Heard && entry.State != PlaybackState.Queued)
            {
                entry = Update(entry.ControlId, e => e with { Heard = true });
            }

            // Any webhook about a live playback is news for its watchdog, even a duplicate or stale one that changes nothing.
            _news.Add(entry.ControlId);

            if (entry.State == PlaybackState.Queued)
            {
                return WebhookResult.Accepted($"playback {entry.ControlId} has not been started; stale event ignored");
            }

            switch (status.State)
            {
                case "finished":
                    if (entry.StopSent)
                    {
                        Change(entry.ControlId, PlaybackState.Stopped, "stopped");
                    }
                    else if (entry.Settling)
                    {
                        // Most likely the stop Playback sent to settle an unknown play: it never reports such a play as finished.
                        Change(entry.ControlId, PlaybackState.Failed, "calling.play's outcome was unknown, so Playback stopped it.");
                    }
                    else
                    {
                        Change(entry.ControlId, PlaybackState.Finished, "finished");
                    }

                    return WebhookResult.Accepted();
                case "error":
                    Change(entry.ControlId, PlaybackState.Failed, "the server reported a playback error");
                    return WebhookResult.Accepted();
                case "playing" or "paused":
                    var target = status.State == "playing" ? PlaybackState.Playing : PlaybackState.Paused;
                    if (entry.State == target)
                    {
                        return WebhookResult.Accepted("duplicate");
                    }

                    if (entry.State == PlaybackState.Starting)
                    {
                        if (target != PlaybackState.Playing)
                        {
                            return WebhookResult.Accepted("stale: paused before the play was acknowledged");
                        }

                        Change(entry.ControlId, PlaybackState.Playing, null);
                        return WebhookResult.Accepted();
                    }

                    if (IsStale(entry, status))
                    {
                        return WebhookResult.Accepted($"stale: {status.State} contradicts a newer command");
                    }

                    Change(entry.ControlId, target, "reported by the server");
                    return WebhookResult.Accepted();
                default:
                    return WebhookResult.Ignored($"unknown play state {status.State}");
            }
        }

        public void EndCall(string reason)
        {
            if (_state.GoneReason is not null)
            {
                return;
            }

            foreach (var entry in _state.Current.ToList())
            {
                Change(entry.ControlId, PlaybackState.Failed, reason);
            }

            _state = _state with { GoneReason = reason };
            _effects.Add(new EndCall(reason));
        }

        private bool IsStale(PlaybackEntry entry, PlayStatusReceived status)
        {
            if (_state.InFlight?.Request.ControlId == entry.ControlId)
            {
                return true;
            }

            if (status.Timestamp is not { } ts)
            {
                // Without a timestamp an event cannot be ordered after an acknowledged command.
                return entry.LastAckAt is not null;
            }

            return ts < entry.LastEventAt || ts <= entry.LastAckAt;
        }

        private bool TryGetControllable(IPlaybackCommand command, out PlaybackEntry entry)
        {
            if (!_state.Playbacks.TryGetValue(command.ControlId, out entry!))
            {
                Fail(command, $"no active playback {command.ControlId} on call {CallId}", null);
                return false;
            }

            if (entry.State.IsTerminal())
            {
                Fail(command, $"no active playback {command.ControlId} on call {CallId}: it has ended ({entry.State})", entry.State);
                return false;
            }

            if (entry.State == PlaybackState.Queued)
            {
                Fail(command, $"playback {command.ControlId} on call {CallId} is queued and has not started; only stop and volume apply", entry.State);
                return false;
            }

            return true;
        }

        private void Fail(IPlaybackCommand command, string message, PlaybackState? state) =>
            Reply(new CommandFailed(new PlaybackStateException(message, CallId, command.ControlId, state)));

        private void Start(string controlId, bool hasCaller, bool isNew = false)
        {
            var entry = _state.Playbacks[controlId];
            if (isNew)
            {
                // A play that starts at once is first seen as Starting: it was never published as Queued.
                entry = Update(controlId, e => e with { State = PlaybackState.Starting });
                Publish(null, entry);
            }
            else
            {
                Change(controlId, PlaybackState.Starting, null);
            }

            Send(new ApiRequest(ApiCommand.Play, controlId) { Media = entry.Media, Options = entry.Options }, hasCaller);
        }

        private void StartNextQueued()
        {
            if (_state.InFlight is not null || _state.GoneReason is not null || _state.Queue.IsEmpty
                || _state.Playbacks.Values.Any(p => p.State.IsActive()))
            {
                return;
            }

            var next = _state.Queue[0];
            _state = _state with { Queue = _state.Queue.RemoveAt(0) };
            Start(next, hasCaller: false);
        }

        private void Send(ApiRequest request, bool hasCaller, string? thenPlay = null, bool settles = false, PlaybackException? error = null)
        {
            _state = _state with { InFlight = new InFlightRequest(request, hasCaller, thenPlay) { Settles = settles, Error = error } };
            _effects.Add(new SendRequest(request));
        }

        private InFlightRequest TakeInFlight()
        {
            var flight = _state.InFlight ?? throw new InvalidOperationException("No request is in flight.");
            _state = _state with { InFlight = null };
            return flight;
        }

        private void ReplyWith(InFlightRequest flight, string controlId)
        {
            if (flight.HasCaller)
            {
                Reply(new CommandSucceeded(_state.Snapshot(_state.Playbacks[controlId])));
            }
        }

        private void Put(PlaybackEntry entry) =>
            _state = _state with { Playbacks = _state.Playbacks.SetItem(entry.ControlId, entry) };

        private PlaybackEntry Update(string controlId, Func<PlaybackEntry, PlaybackEntry> change)
        {
            var updated = change(_state.Playbacks[controlId]);
            Put(updated);
            return updated;
        }

        private void Change(string controlId, PlaybackState next, string? reason)
        {
            var before = _state.Playbacks[controlId];
            if (before.State == next || before.State.IsTerminal())
            {
                return;
            }

            // An ended playback keeps only what recognises its late webhooks: its media and options are dropped.
            var after = Update(controlId, e => next.IsTerminal()
                ? e with { State = next, Reason = reason, Media = ImmutableArray<MediaItem>.Empty, Options = PlayOptions.Default }
                : e with { State = next, Reason = reason });
            if (next.IsTerminal())
            {
                var ended = _state.Ended.Add(controlId);
                var playbacks = _state.Playbacks;
                while (ended.Count > EndedHistory)
                {
                    playbacks = playbacks.Remove(ended[0]);
                    ended = ended.RemoveAt(0);
                }

                _state = _state with { Ended = ended, Playbacks = playbacks, Queue = _state.Queue.Remove(controlId) };
            }

            Publish(before, after);
        }

        private void Publish(PlaybackEntry? before, PlaybackEntry after, PlaybackChange change = PlaybackChange.State) =>
            _effects.Add(new Publish(new PlaybackEvent(CallId, after.ControlId, after.State, before?.State, after.Volume, after.Reason, now, change)));
    }
}

/// <summary>The request on the wire: what it is, whether a caller waits for it, and the play to start after a replacing stop.</summary>
internal sealed record InFlightRequest(ApiRequest Request, bool HasCaller, string? ThenPlay)
{
    /// <summary>A stop sent to settle a play whose outcome was unknown.</summary>
    public bool Settles { get; init; }

    /// <summary>The failure of the play being settled, reported to its caller once the stop's outcome is known (null when the stop is tried again later, without a caller).</summary>
    public PlaybackException? Error { get; init; }
}
