using System.Collections.Immutable;

namespace Playback;

/// <summary>
/// The watchdog: a playing playback that has had no news for the status timeout is stopped, then reported failed ("no
/// status received"): silence proves nothing (long media, or its webhooks lost), so it is never reported ended while it
/// may still play.
/// </summary>
internal sealed partial record CallPlaybacks
{
    /// <summary>The reason of a playback the watchdog ended.</summary>
    public const string NoStatusReason = "no status received";

    /// <summary>The reason of a playback the watchdog stopped (its stop was accepted, or a finished webhook came meanwhile).</summary>
    public const string StoppedSilentReason = NoStatusReason + ": Playback stopped it";

    /// <summary>Whether a playback's watchdog runs: it is playing and webhooks are expected (<see cref="PlaybackEntry.Watchable"/>).</summary>
    public static bool IsWatched(PlaybackEntry? entry) => entry is { State: PlaybackState.Playing, Watchable: true };

    /// <summary>
    /// The timers a fresh actor arms for this state (after a restore: its predecessor's timers are gone): the watchdog of
    /// every watched playback and the settle timer of every unconfirmed play.
    /// </summary>
    public ImmutableArray<Effect> TimersToArm()
    {
        var timers = ImmutableArray.CreateBuilder<Effect>();
        foreach (var entry in Playbacks.Values)
        {
            if (entry.OwesStop)
            {
                timers.Add(new SettleLater(entry.ControlId));
            }

            if (IsWatched(entry))
            {
                timers.Add(new Watch(entry.ControlId, true));
            }
        }

        return timers.ToImmutable();
    }

    private sealed partial class Step
    {
        public void StatusTimedOut(string controlId)
        {
            if (_state.Playbacks.TryGetValue(controlId, out var entry) && entry.State == PlaybackState.Playing)
            {
                if (entry.Unconfirmed && !entry.Heard)
                {
                    // The stops that settle an unconfirmed play will tell; the watchdog is re-armed for afterwards.
                    News(controlId);
                }
                else if (_state.InFlight is not null)
                {
                    // One request at a time: the watchdog tries again soon, once the one on the wire is answered.
                    _effects.Add(new Watch(controlId, true) { Soon = true });
                }
                else
                {
                    // It may still be playing: stopped first, and reported ended only once the stop is answered (SilentStopAnswered).
                    Send(new ApiRequest(ApiCommand.Stop, controlId), hasCaller: false, watchdogStop: true);
                }
            }
        }

        /// <summary>
        /// The watchdog's stop was answered. Accepted: nothing plays, so it ends (Stopped if you had asked for a stop whose
        /// outcome was unknown, else Failed, "no status received: Playback stopped it"). Refused with 404/422, final: the
        /// server has nothing playing under that control id, whatever a webhook said meanwhile, so it ends too. Anything
        /// else: it may still play, so it stays Playing and the watchdog tries again after the settle retry delay.
        /// </summary>
        private void SilentStopAnswered(InFlightRequest flight, CallingApiException? refusal, bool accepted)
        {
            var id = flight.Request.ControlId;
            if (_state.Playbacks.GetValueOrDefault(id) is not { } entry || entry.State.IsTerminal())
            {
                return; // it ended meanwhile (a finished or error webhook, the call's end)
            }

            if (accepted || FindsNothingToStop(refusal))
            {
                var stoppedIt = accepted || refusal is { MayHaveBeenApplied: true };
                Change(id, entry.StopSent ? PlaybackState.Stopped : PlaybackState.Failed,
                    entry.StopSent ? "stopped" : stoppedIt ? StoppedSilentReason : NoStatusReason);
                return;
            }

            _effects.Add(new Watch(id, true) { Soon = true, Retry = true });
        }

        /// <summary>Whether <paramref name="flight"/> is the stop the watchdog sent to <paramref name="controlId"/>, a playback without news.</summary>
        private static bool StopsSilentPlayback(InFlightRequest? flight, string controlId) =>
            flight is { WatchdogStop: true } && flight.Request.ControlId == controlId;

        /// <summary>Re-arms the watchdog of every playback that had news in this step, and disarms those no longer playing.</summary>
        private void WatchChanged()
        {
            foreach (var (id, after) in _state.Playbacks)
            {
                var before = _initial.Playbacks.GetValueOrDefault(id);
                if (before == after && !HadNews(id))
                {
                    continue;
                }

                if (IsWatched(after) || IsWatched(before))
                {
                    _effects.Add(new Watch(id, IsWatched(after)));
                }
            }

            foreach (var (id, before) in _initial.Playbacks)
            {
                if (!_state.Playbacks.ContainsKey(id) && IsWatched(before))
                {
                    _effects.Add(new Watch(id, false));
                }
            }
        }
    }
}
