using System.Collections.Immutable;

namespace Playback;

/// <summary>A caller's commands: play (with WhenBusy), pause, resume, stop, volume, and starting the next queued play.</summary>
internal sealed partial record CallPlaybacks
{
    private sealed partial class Step
    {
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
    }
}
