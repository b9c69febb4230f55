using System.Collections.Immutable;

namespace Playback;

/// <summary>What the answer to the request in flight means: acknowledgments and every failure rule (unknown outcomes settled, 404 on a control command, refused stops).</summary>
internal sealed partial record CallPlaybacks
{
    private sealed partial class Step
    {
        public void Succeeded()
        {
            var flight = TakeInFlight();
            if (StopsSilentPlayback(flight, flight.Request.ControlId))
            {
                SilentStopAnswered(flight, null, accepted: true);
                return;
            }

            if (flight.Settles)
            {
                var settled = _state.Playbacks.GetValueOrDefault(flight.Request.ControlId);
                if (settled is { Unconfirmed: true } && settled.State.IsTerminal())
                {
                    OwedStopAnswered(settled.ControlId, accepted: true, null);
                }

                // The stop sent to settle a play whose outcome was unknown was accepted: whatever the play did, it is not
                // playing now, so it can be reported as failed. (A play that had already ended may have left the ended
                // history meanwhile.)
                if (settled is not null)
                {
                    Change(flight.Request.ControlId, PlaybackState.Failed, $"{flight.Error?.Message ?? "calling.play's outcome was unknown."} Its outcome was unknown, so Playback stopped it.");
                }

                ReplyFailed(flight);
                return;
            }

            Acknowledged(flight);
        }

        /// <summary>Applies what an accepted command means (also a stop the server refused because nothing was playing).</summary>
        private void Acknowledged(InFlightRequest flight, string? stopReason = null)
        {
            var id = flight.Request.ControlId;
            var thenPlay = TakePendingReplace();
            var entry = _state.Playbacks.GetValueOrDefault(id);
            if (entry is not null && !entry.State.IsTerminal())
            {
                News(id);
                // A command for it was accepted: the play is live on the server, so a stop owed to settle an unknown play is
                // not owed any more (it would end what you just paused or changed), and its end is its own.
                entry = Update(id, e => e with { LastAckAt = now, Unconfirmed = false, Settling = false });
                switch (CommandTable.OnAcknowledged(flight.Request.Command))
                {
                    case null:
                        var changed = Update(id, e => e with { Volume = flight.Request.Volume });
                        Publish(entry, changed, PlaybackChange.Volume);
                        break;
                    case PlaybackState.Stopped:
                        Change(id, PlaybackState.Stopped, thenPlay is null ? stopReason ?? "stopped" : $"replaced by {thenPlay}");
                        break;
                    case { } target:
                        Change(id, target, null);
                        break;
                }
            }

            if (thenPlay is { } next)
            {
                if (_state.GoneReason is null)
                {
                    Start(next, flight.HasCaller);
                }
                else if (flight.HasCaller)
                {
                    // The call ended while the replacing stop was in flight: the new play has already failed; never send it.
                    Reply(new CommandRefused(ApiCommand.Play, next, RefusalKind.CallGone, _state.GoneReason, null));
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
                TakePendingReplace();
                ReplyFailed(flight, error);
                return;
            }

            var api = error as CallingApiException;
            if (StopsSilentPlayback(flight, flight.Request.ControlId))
            {
                SilentStopAnswered(flight, api, accepted: false);
                return;
            }

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
        /// A stop failed. A refusal that says nothing plays under that control id (404, 422), on the first attempt or on a
        /// retry after one whose answer was lost, ends the playback as stopped. Any other failure leaves it live, even when
        /// the stop may have landed (a 5xx, a lost answer, then a retry refused 400/401/403): a later finished webhook, or
        /// another stop, settles it; it is never reported ended while it may still play.
        /// </summary>
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

            if (entry is not null && !entry.State.IsTerminal() && FindsNothingToStop(api))
            {
                // The server has no active play with that control id, however it worded it: an earlier attempt of this stop
                // landed (its answer was lost), or the play ended on its own. Either way nothing plays under it.
                Acknowledged(flight, api.MayHaveBeenApplied ? "stopped" : $"stopped: the server had no active play for it ({api.StatusCode})");
                return;
            }

            if (entry is not null && !entry.State.IsTerminal() && api is not { MayHaveBeenApplied: true })
            {
                // Certainly not applied: a finished webhook will mean Finished again.
                Update(id, e => e with { StopSent = false });
            }

            if (TakePendingReplace() is { } next)
            {
                Change(next, PlaybackState.Failed, $"could not stop {id} to replace it: {error.Message}");
            }

            ReplyFailed(flight, error);
        }

        /// <summary>
        /// A stop's final refusal that says the server has no active play under its control id, however it words it: 404, or
        /// 422 (a stop has nothing but its control id to validate). Read by every stop: yours, a settling one, the watchdog's.
        /// </summary>
        private static bool FindsNothingToStop([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] CallingApiException? refusal) => refusal is { IsTransient: false, StatusCode: 404 or 422 };

        /// <summary>
        /// Pause, resume or volume failed. A 404 ends that playback only: the server no longer knows its control id. A pause or
        /// resume whose outcome is unknown, and whose target state a webhook reported while it was on the wire, landed.
        /// </summary>
        private void ControlFailed(InFlightRequest flight, PlaybackException error, CallingApiException? api)
        {
            var id = flight.Request.ControlId;
            if (flight.Confirmed && api is { MayHaveBeenApplied: true, StatusCode: not 404 })
            {
                Acknowledged(flight);
                return;
            }

            if (api is { StatusCode: 404 } && _state.Playbacks.TryGetValue(id, out var entry) && !entry.State.IsTerminal())
            {
                Change(id, entry.StopSent ? PlaybackState.Stopped : PlaybackState.Failed, entry.StopSent
                    ? "stopped"
                    : $"the server no longer knows this playback (404 on {flight.Request.Command.ToString().ToLowerInvariant()}): it ended, or its call did");
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
    }
}
