using System.Collections.Immutable;

namespace Playback;

/// <summary>A caller's commands, each decided by its row of <see cref="CommandTable"/>, and a play's WhenBusy on a busy call.</summary>
internal sealed partial record CallPlaybacks
{
    private sealed partial class Step
    {
        public void Reply(CommandReply reply) => _effects.Add(new ReplyToCaller(reply));

        /// <summary>Decides <paramref name="command"/> by the rule <see cref="CommandTable"/> gives its playback's state.</summary>
        public void Command(IPlaybackCommand command)
        {
            var entry = _state.Playbacks.GetValueOrDefault(command.ControlId);
            switch (CommandTable.RuleFor(entry?.State, command.Kind))
            {
                case CommandRule.Send when command is StartPlay play:
                    StartPlay(play);
                    break;
                case CommandRule.Send:
                    SendFor(command, entry!);
                    break;
                case CommandRule.SucceedAtOnce:
                    Reply(new CommandSucceeded(_state.Snapshot(entry!)));
                    break;
                case CommandRule.ApplyLocally:
                    ApplyToQueued(command, entry!);
                    break;
                case CommandRule.RefuseUnknown:
                    Refuse(command, $"no active playback {command.ControlId} on call {CallId}", null);
                    break;
                case CommandRule.RefuseEnded:
                    Refuse(command, $"no active playback {command.ControlId} on call {CallId}: it has ended ({entry!.State})", entry.State);
                    break;
                case CommandRule.RefuseQueued:
                    Refuse(command, $"playback {command.ControlId} on call {CallId} is queued and has not started; only stop and volume apply", entry!.State);
                    break;
                case CommandRule.RefuseUsed:
                    Refuse(command, $"control id {command.ControlId} is already used on call {CallId} ({entry!.State}); choose a new one", entry.State);
                    break;
                default:
                    throw new InvalidOperationException($"{command.Kind} cannot be decided while playback {command.ControlId} is {entry?.State}: it waits for the request in flight.");
            }
        }

        /// <summary>Refuses a command because the call is gone.</summary>
        public void RefuseGone(IPlaybackCommand command, string reason) =>
            Reply(new CommandRefused(command.Kind, command.ControlId, RefusalKind.CallGone, reason, null));

        /// <summary>A play for a new control id: starts at once on a free call, else follows its WhenBusy.</summary>
        private void StartPlay(StartPlay play)
        {
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
                    Refuse(play, $"call {CallId} already has playback {busyWith} ({_state.Playbacks[busyWith].State}) and WhenBusy is Reject", null);
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
                        // The new play waits, as the call's PendingReplace, for the stop of the one it replaces.
                        Update(active.ControlId, e => e with { StopSent = true });
                        _state = _state with { PendingReplace = play.ControlId };
                        Send(new ApiRequest(ApiCommand.Stop, active.ControlId), hasCaller: true);
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

        /// <summary>Pause, resume, volume or stop of an active playback: its request goes on the wire.</summary>
        private void SendFor(IPlaybackCommand command, PlaybackEntry entry)
        {
            if (command is StopPlay)
            {
                Update(entry.ControlId, e => e with { StopSent = true });
            }

            var volume = command is ChangeVolume change ? change.Volume : 0;
            Send(new ApiRequest(command.Kind, entry.ControlId) { Volume = volume }, hasCaller: true);
        }

        /// <summary>Stop or volume of a queued playback, which has not reached the server.</summary>
        private void ApplyToQueued(IPlaybackCommand command, PlaybackEntry queued)
        {
            if (command is ChangeVolume volume)
            {
                // It will simply start at the new level.
                var updated = Update(queued.ControlId, e => e with { Volume = volume.Volume, Options = e.Options with { Volume = volume.Volume } });
                Publish(queued, updated, PlaybackChange.Volume);
                Reply(new CommandSucceeded(_state.Snapshot(updated)));
                return;
            }

            Change(queued.ControlId, PlaybackState.Stopped, "stopped before it started");
            Reply(new CommandSucceeded(_state.Snapshot(_state.Playbacks[queued.ControlId])));
        }

        private void Refuse(IPlaybackCommand command, string message, PlaybackState? state) =>
            Reply(new CommandRefused(command.Kind, command.ControlId, RefusalKind.State, message, state));

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

        /// <summary>After every input: when the call's media channel is free and nothing is on the wire, the next queued play starts.</summary>
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
