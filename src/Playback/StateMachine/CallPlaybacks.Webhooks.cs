using System.Collections.Immutable;

namespace Playback;

/// <summary>Webhooks: play status (evidence, staleness, terminal states) and the end of the call.</summary>
internal sealed partial record CallPlaybacks
{
    private sealed partial class Step
    {
        public WebhookResult PlayStatus(PlayStatusReceived status)
        {
            if (!_state.Playbacks.TryGetValue(status.ControlId, out var entry))
            {
                return WebhookResult.Ignored($"unknown control id {status.ControlId} on call {CallId}");
            }

            // The newest timestamp, and for a live playback that it was heard of, in one change of the entry.
            var heard = entry;
            if (status.Timestamp is { } ts && (entry.LastEventAt is null || ts > entry.LastEventAt))
            {
                heard = heard with { LastEventAt = ts };
            }

            if (!entry.State.IsTerminal() && !entry.Heard && entry.State != PlaybackState.Queued)
            {
                heard = heard with { Heard = true };
            }

            if (!ReferenceEquals(heard, entry))
            {
                Put(heard);
                entry = heard;
            }

            if (entry.State.IsTerminal())
            {
                return EndedPlaybackReported(entry, status.State);
            }

            // Any webhook about a live playback is news for its watchdog, even a duplicate or stale one that changes nothing.
            News(entry.ControlId);

            if (entry.State == PlaybackState.Queued)
            {
                return WebhookResult.Accepted($"playback {entry.ControlId} has not been started; stale event ignored");
            }

            switch (status.State)
            {
                case ReportedPlayState.Finished:
                    if (entry.StopSent)
                    {
                        Change(entry.ControlId, PlaybackState.Stopped, "stopped");
                    }
                    else if (StopsSilentPlayback(_state.InFlight, entry.ControlId))
                    {
                        // Most likely the watchdog's stop (or it ended by itself, unheard): reported as the watchdog's end.
                        Change(entry.ControlId, PlaybackState.Failed, StoppedSilentReason);
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
                case ReportedPlayState.Error:
                    Change(entry.ControlId, PlaybackState.Failed, "the server reported a playback error");
                    return WebhookResult.Accepted();
                default:
                    var target = status.State == ReportedPlayState.Playing ? PlaybackState.Playing : PlaybackState.Paused;
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
                        if (_state.InFlight is { Request: var sent } flight && sent.ControlId == entry.ControlId
                            && CommandTable.OnAcknowledged(sent.Command) == target && !IsOlderThanLastAck(entry, status))
                        {
                            // What the command on the wire asks for, reported after the last acknowledged command: it landed,
                            // should its answer be lost (the state changes when its outcome is known).
                            _state = _state with { InFlight = flight with { Confirmed = true } };
                        }

                        return WebhookResult.Accepted($"stale: {status.State.Wire()} contradicts a newer command");
                    }

                    Change(entry.ControlId, target, "reported by the server");
                    return WebhookResult.Accepted();
            }
        }

        public WebhookResult CallState(CallStateReceived state)
        {
            if (state.CallState == ReportedCallState.Ended)
            {
                EndCall("call ended");
                return WebhookResult.Accepted();
            }

            return WebhookResult.Accepted($"call state {state.CallState.ToString().ToLowerInvariant()} does not change playbacks");
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

            foreach (var (id, entry) in _state.Playbacks)
            {
                if (entry.Unconfirmed)
                {
                    Update(id, e => e with { Unconfirmed = false }); // nothing plays on an ended call: no stop is owed
                }
            }

            _state = _state with { GoneReason = reason };
            _effects.Add(new EndCall(reason));
        }

        private bool IsStale(PlaybackEntry entry, PlayStatusReceived status)
        {
            return _state.InFlight?.Request.ControlId == entry.ControlId || IsOlderThanLastAck(entry, status);
        }

        /// <summary>
        /// Whether the event may have been sent before the playback's last acknowledged command (or an event already
        /// applied). The acknowledgement is stamped by this host's clock and the event by the server's: an event stamped
        /// up to <see cref="ClockSkewAllowance"/> after the acknowledgement may still have been sent before it.
        /// </summary>
        private static bool IsOlderThanLastAck(PlaybackEntry entry, PlayStatusReceived status)
        {
            if (status.Timestamp is not { } ts)
            {
                // Without a timestamp an event cannot be ordered after an acknowledged command.
                return entry.LastAckAt is not null;
            }

            return ts < entry.LastEventAt || ts <= entry.LastAckAt + ClockSkewAllowance;
        }
    }
}
