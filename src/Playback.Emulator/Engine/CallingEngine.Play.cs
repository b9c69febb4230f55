namespace Playback.Emulator;

// Plays: starting a timeline, pause/resume/stop/volume, the end timer and the play webhooks.
internal sealed partial class CallingEngine
{
    /// <summary>The longest wait a timer accepts (uint.MaxValue - 1 ms, about 49.7 days); a play that ends later never ends while the emulator runs.</summary>
    private const double MaxTimerSeconds = (uint.MaxValue - 1) / 1000.0;

    private (int, object) Play(EmulatedCall call, PlayCommand command)
    {
        var dialect = options.Dialect;
        if (call.Plays.TryGetValue(command.PlayControlId, out var existing) && (existing.IsActive || !dialect.ReuseEndedControlIds))
        {
            var message = dialect.ConflictMessage.Replace(EmulatorDialect.ControlIdPlaceholder, command.PlayControlId, StringComparison.Ordinal);
            return (dialect.ConflictStatus, Errors(new ValidationError(dialect.ConflictType, dialect.ConflictCode, message, dialect.ConflictNamesAttribute ? "control_id" : null)));
        }

        // The timeline: the list once, repeated `loop` times (0 = forever); the first unplayable item ends it with an error.
        double? once = command.Media.All(m => m.Seconds is not null) ? command.Media.Sum(m => m.Seconds!.Value) : null;
        double? errorAt = null;
        var offset = 0.0;
        foreach (var segment in command.Media)
        {
            if (segment.Fails)
            {
                errorAt = offset;
                break;
            }

            if (segment.Seconds is not { } s)
            {
                break;
            }

            offset += s;
        }

        double? end = command.Loop == 0 || once is null ? null : once * command.Loop;
        var endsInError = errorAt is not null && (end is null || errorAt < end);
        var play = new EmulatedPlay(call.Id, command.PlayControlId, command.StatusUrl, command.Volume, endsInError ? errorAt : end, endsInError);
        call.Plays[play.ControlId] = play;
        if (command.StatusUrl is not null)
        {
            call.LastPlayStatusUrl = command.StatusUrl;
        }

        if (endsInError && errorAt == 0)
        {
            End(call, play, "error");
        }
        else
        {
            Resume(call, play);
        }

        return (200, CallObject(call));
    }

    private (int, object) Control(EmulatedCall call, ControlCommand command)
    {
        var known = call.Plays.TryGetValue(command.PlayControlId, out var play);
        if (!known || !play!.IsActive)
        {
            if (options.Dialect.InactiveControlStatus == 404)
            {
                return NotFound();
            }

            return (422, known
                ? Errors(new ValidationError("validation_error", "not_active", $"control_id {command.PlayControlId} has already ended ({play!.State})", "control_id"))
                : Errors(new ValidationError("validation_error", "not_found", $"control_id {command.PlayControlId} is not a play of this call", "control_id")));
        }

        switch (command.Command)
        {
            case "calling.play.pause" when play.State == "playing":
                play.Position = play.PositionAt(options.Clock.GetUtcNow(), options.Speed);
                play.ResumedAt = null;
                play.Timer?.Dispose();
                play.Timer = null;
                play.State = "paused";
                Notify(call, play);
                break;
            case "calling.play.resume" when play.State == "paused":
                Resume(call, play);
                break;
            case "calling.play.stop":
                End(call, play, "finished");
                break;
            case "calling.play.volume":
                play.Volume = command.Volume!.Value;
                break;
        }

        return (200, CallObject(call));
    }

    private void Resume(EmulatedCall call, EmulatedPlay play)
    {
        play.State = "playing";
        play.ResumedAt = options.Clock.GetUtcNow();
        Notify(call, play);
        if (play.EndsAt is { } endsAt)
        {
            if (endsAt <= play.Position)
            {
                End(call, play, play.EndsInError ? "error" : "finished");
                return;
            }

            // Valid durations and loop counts can put the end beyond what a timer can wait (or make it infinite):
            // such a play just never ends on its own, like an endless one.
            var seconds = (endsAt - play.Position) / options.Speed;
            if (!(seconds < MaxTimerSeconds))
            {
                return;
            }

            // The callback takes the call's lock, which the caller holds: it cannot run before Timer is set.
            var wait = TimeSpan.FromSeconds(seconds);
            ITimer? timer = null;
            timer = options.Clock.CreateTimer(_ => Reached(call, play, timer), null, wait, Timeout.InfiniteTimeSpan);
            play.Timer = timer;
        }
    }

    private void Reached(EmulatedCall call, EmulatedPlay play, ITimer? timer)
    {
        lock (call.Gate)
        {
            if (play.State == "playing" && ReferenceEquals(play.Timer, timer) && timer is not null)
            {
                play.Position = play.EndsAt ?? play.Position;
                play.ResumedAt = null;
                End(call, play, play.EndsInError ? "error" : "finished");
            }
        }
    }

    private void End(EmulatedCall call, EmulatedPlay play, string state)
    {
        if (play.State == "playing" && play.ResumedAt is not null)
        {
            var position = play.PositionAt(options.Clock.GetUtcNow(), options.Speed);
            play.Position = play.EndsAt is { } endsAt ? Math.Min(position, endsAt) : position;
        }

        play.Timer?.Dispose();
        play.Timer = null;
        play.ResumedAt = null;
        play.State = state;
        Notify(call, play);
    }

    private void Notify(EmulatedCall call, EmulatedPlay play)
    {
        if (play.StatusUrl is null)
        {
            return;
        }

        webhooks.Enqueue(call.Id, play.ControlId, play.StatusUrl, "calling.call.play", play.State, Envelope("calling.call.play", w =>
        {
            w.WriteString("call_id", call.Id);
            w.WriteString("node_id", _nodeId);
            w.WriteString("control_id", play.ControlId);
            w.WriteString("state", play.State);
        }));
    }
}
