using System.Collections.Immutable;

namespace Playback;

/// <summary>The watchdog: a playing playback that has had no news for the status timeout has failed, unless it may still be playing.</summary>
internal sealed partial record CallPlaybacks
{
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
                if (_state.InFlight?.Request.ControlId == controlId || (entry.Unconfirmed && !entry.Heard))
                {
                    // Its request's outcome will tell, or the stops that settle an unconfirmed play will (it may be playing, so
                    // it is never reported failed on silence alone); re-arm so the watchdog still applies afterwards.
                    News(controlId);
                }
                else
                {
                    Change(controlId, PlaybackState.Failed, "no status received");
                }
            }
        }

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
