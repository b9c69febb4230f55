using System.Collections.Immutable;

namespace Playback;

/// <summary>The mutable builder of one transition: its effects, the playbacks that had news, the timers, and the primitives every rule uses.</summary>
internal sealed partial record CallPlaybacks
{
    /// <summary>The transition being built: a private mutable helper that keeps the public value immutable.</summary>
    private sealed partial class Step(CallPlaybacks state, DateTimeOffset now)
    {
        // Two fit most steps (an event and a reply or a watchdog), and then become the transition's array without a copy.
        private readonly ImmutableArray<Effect>.Builder _effects = ImmutableArray.CreateBuilder<Effect>(2);
        private readonly CallPlaybacks _initial = state;

        /// <summary>Playbacks that had news in this step (a webhook or an acknowledged command), even when their entry did not change: the first (most steps have one at most), then a set.</summary>
        private string? _firstNews;
        private HashSet<string>? _moreNews;
        private CallPlaybacks _state = state;

        private string CallId => _state.CallId;

        /// <summary>
        /// Ends the step with what follows every input: the next queued play starts when the call is free
        /// (<see cref="StartNextQueued"/>), and the watchdogs of the playbacks that had news are re-armed (<see cref="WatchChanged"/>).
        /// </summary>
        public Transition Done(WebhookResult? webhook = null)
        {
            StartNextQueued();
            WatchChanged();
            return new Transition(_state, _effects.DrainToImmutable(), webhook);
        }

        /// <summary>Notes that the playback <paramref name="controlId"/> had news in this step.</summary>
        private void News(string controlId)
        {
            if (_firstNews is null)
            {
                _firstNews = controlId;
            }
            else if (!string.Equals(_firstNews, controlId, StringComparison.Ordinal))
            {
                (_moreNews ??= new HashSet<string>(StringComparer.Ordinal)).Add(controlId);
            }
        }

        private bool HadNews(string controlId) =>
            string.Equals(_firstNews, controlId, StringComparison.Ordinal) || _moreNews?.Contains(controlId) == true;
        private void Send(ApiRequest request, bool hasCaller, bool settles = false, PlaybackException? error = null, bool watchdogStop = false)
        {
            _state = _state with { InFlight = new InFlightRequest(request, hasCaller) { Settles = settles, Error = error, WatchdogStop = watchdogStop } };
            _effects.Add(new SendRequest(request));
        }

        private InFlightRequest TakeInFlight()
        {
            var flight = _state.InFlight ?? throw new InvalidOperationException("No request is in flight.");
            _state = _state with { InFlight = null };
            return flight;
        }

        /// <summary>The replacing play that waited for the stop in flight, if any; the call has none pending afterwards.</summary>
        private string? TakePendingReplace()
        {
            var next = _state.PendingReplace;
            _state = _state with { PendingReplace = null };
            return next;
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

            // An ended playback keeps only what recognises its late webhooks: its media and options are dropped. It owes no
            // stop any more (until a webhook shows it running after all: see StopLateStart).
            var after = Update(controlId, e => next.IsTerminal()
                ? e with { State = next, Reason = reason, Media = ImmutableArray<MediaItem>.Empty, Options = PlayOptions.Default, Unconfirmed = false }
                : e with { State = next, Reason = reason });
            if (next.IsTerminal())
            {
                var ended = _state.Ended.Add(controlId);
                var playbacks = _state.Playbacks;
                for (var oldest = 0; ended.Count > EndedHistory && oldest < ended.Count; )
                {
                    if (playbacks.TryGetValue(ended[oldest], out var old) && old.Unconfirmed)
                    {
                        oldest++; // still owed a stop: kept until it is settled
                        continue;
                    }

                    playbacks = playbacks.Remove(ended[oldest]);
                    ended = ended.RemoveAt(oldest);
                }

                _state = _state with { Ended = ended, Playbacks = playbacks, Queue = _state.Queue.Remove(controlId) };
            }

            Publish(before, after);
        }

        private void Publish(PlaybackEntry? before, PlaybackEntry after, PlaybackChange change = PlaybackChange.State) =>
            _effects.Add(new Publish(new PlaybackEvent(CallId, after.ControlId, after.State, before?.State, after.Volume, after.Reason, now, change)));
    }
}
