namespace Playback;

/// <summary>
/// Settling a play whose outcome is unknown (docs/design.md, "truth under failure"): webhook evidence, then a retry refused
/// for its control_id, then a stop before any failure is reported; a play that could not be stopped is tracked as playing
/// and its stop is tried again later.
/// </summary>
internal sealed partial record CallPlaybacks
{
    private sealed partial class Step
    {
        public void SettleAgain(string controlId)
        {
            if (_state.GoneReason is null && _state.Playbacks.TryGetValue(controlId, out var entry)
                && entry.OwesStop)
            {
                Update(controlId, e => e with { Settling = true });
                Send(new ApiRequest(ApiCommand.Stop, controlId), hasCaller: false, settles: true);
            }
        }

        /// <summary>
        /// A webhook for a playback that has ended: changes nothing, but a play reported failed after settling that the
        /// server reports running is owed a stop (<see cref="StopLateStart"/>), and one that then ends owes none.
        /// </summary>
        private WebhookResult EndedPlaybackReported(PlaybackEntry entry, ReportedPlayState reported)
        {
            if (_state.GoneReason is null && entry is { State: PlaybackState.Failed, Settling: true }
                && reported is ReportedPlayState.Playing or ReportedPlayState.Paused)
            {
                if (!entry.Unconfirmed)
                {
                    StopLateStart(entry);
                }

                return WebhookResult.Accepted($"playback {entry.ControlId} was reported failed and runs after all: Playback stops it");
            }

            if (entry.Unconfirmed && reported is ReportedPlayState.Finished or ReportedPlayState.Error)
            {
                Update(entry.ControlId, e => e with { Unconfirmed = false }); // it ended: the stop it was owed is moot
            }

            return WebhookResult.Accepted($"playback {entry.ControlId} has already ended ({entry.State})");
        }

        /// <summary>
        /// A play reported failed (the stop sent to settle it found nothing to stop) is running after all: its live webhook
        /// came (the play reached the server after that stop). It stays failed, and is owed a stop, sent now (or, when a
        /// request is in flight, by the settle timer), so that nothing reported failed keeps playing.
        /// </summary>
        private void StopLateStart(PlaybackEntry entry)
        {
            Update(entry.ControlId, e => e with { Unconfirmed = true });
            if (_state.InFlight is null)
            {
                SettleAgain(entry.ControlId);
            }
            else
            {
                _effects.Add(new SettleLater(entry.ControlId));
            }
        }

        /// <summary>The answer to the stop owed by a play that had already ended (see <see cref="StopLateStart"/>): settled (accepted, or refused for certain), or tried again later.</summary>
        private void OwedStopAnswered(string controlId, bool accepted, CallingApiException? stopError)
        {
            var settled = accepted || stopError is { IsTransient: false, MayHaveBeenApplied: false };
            if (settled)
            {
                Update(controlId, e => e with { Unconfirmed = false });
            }
            else
            {
                _effects.Add(new SettleLater(controlId));
            }
        }

        /// <summary>
        /// A play failed. When an attempt may have landed (<see cref="PlaybackException.MayHaveBeenApplied"/>) it is never
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

                News(id);
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
                if (entry is { Unconfirmed: true })
                {
                    OwedStopAnswered(id, accepted: false, stopError);
                }

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

                News(id);
                ReplyWith(flight, id);
                return;
            }

            if (stopError is { MayHaveBeenApplied: false } && FindsNothingToStop(stopError))
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

            News(id);
            _effects.Add(new SettleLater(id));
            ReplyFailed(flight);
        }
    }
}
