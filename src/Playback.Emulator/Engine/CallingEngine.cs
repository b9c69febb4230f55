using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Playback.Emulator;

/// <summary>The emulated calls and plays: applies validated commands, runs play timelines on the clock and emits webhooks.</summary>
internal sealed class CallingEngine(EmulatorOptions options, WebhookDispatcher webhooks, ILogger log)
{
    /// <summary>The longest wait a timer accepts (uint.MaxValue - 1 ms, about 49.7 days); a play that ends later never ends while the emulator runs.</summary>
    private const double MaxTimerSeconds = (uint.MaxValue - 1) / 1000.0;

    private readonly ConcurrentDictionary<string, EmulatedCall> _calls = new(StringComparer.Ordinal);
    private readonly string _spaceId = Guid.NewGuid().ToString();
    private readonly string _nodeId = Guid.NewGuid().ToString();

    public EmulatedCall CreateCall(string? from = null, string? to = null, string? statusUrl = null)
    {
        var call = new EmulatedCall(Guid.NewGuid().ToString(), from, to, statusUrl);
        _calls[call.Id] = call;
        log.LogInformation("call {CallId} created (answered)", call.Id);
        return call;
    }

    public EmulatedCall? FindCall(string callId) => _calls.GetValueOrDefault(callId);

    public bool EndCall(string callId)
    {
        if (!_calls.TryGetValue(callId, out var call))
        {
            return false;
        }

        lock (call.Gate)
        {
            if (call.Ended)
            {
                return false;
            }

            foreach (var play in call.Plays.Values.Where(p => p.IsActive))
            {
                End(call, play, "finished");
            }

            call.Ended = true;
            var url = call.StatusUrl ?? call.LastPlayStatusUrl;
            if (url is not null)
            {
                webhooks.Enqueue(call.Id, null, url, "calling.call.state", "ended", Envelope("calling.call.state", w =>
                {
                    w.WriteString("call_id", call.Id);
                    w.WriteString("node_id", _nodeId);
                    w.WriteString("call_state", "ended");
                    w.WriteString("direction", "outbound");
                }));
            }
        }

        log.LogInformation("call {CallId} ended", callId);
        return true;
    }

    public IReadOnlyList<EmulatedPlayState> Plays(string callId)
    {
        if (!_calls.TryGetValue(callId, out var call))
        {
            return [];
        }

        lock (call.Gate)
        {
            var now = options.Clock.GetUtcNow();
            return call.Plays.Values.Select(p => p.Snapshot(now, options.Speed)).ToList();
        }
    }

    /// <summary>Applies a command; returns the status and the JSON body to answer.</summary>
    public (int Status, object Body) Execute(EmulatorCommand command)
    {
        if (command is DialCommand dial)
        {
            return (200, CallObject(CreateCall(dial.From, dial.To, dial.StatusUrl)));
        }

        if (command.CallId is null || !_calls.TryGetValue(command.CallId, out var call))
        {
            return NotFound();
        }

        if (command is EndCommand)
        {
            // A call that has already ended is gone: a second end gets 404 like any later command.
            return EndCall(call.Id) ? (200, CallObject(call)) : NotFound();
        }

        lock (call.Gate)
        {
            if (call.Ended)
            {
                return NotFound();
            }

            return command switch
            {
                PlayCommand play => Play(call, play),
                ControlCommand control => Control(call, control),
                _ => (422, Errors(new ValidationError("validation_error", "unsupported", "unsupported command", "command"))),
            };
        }
    }

    public static object Errors(params ValidationError[] errors) => new { errors = errors.Select(e => new { type = e.Type, code = e.Code, message = e.Message, attribute = e.Attribute }) };

    private static (int, object) NotFound() => (404, new { error = "Not Found" });

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

    private byte[] Envelope(string eventType, Action<Utf8JsonWriter> writeParams)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("event_type", eventType);
            w.WriteString("event_channel", "swml:" + _nodeId);
            w.WriteNumber("timestamp", options.Clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
            w.WriteString("project_id", options.ProjectId);
            w.WriteString("space_id", _spaceId);
            w.WriteStartObject("params");
            writeParams(w);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return stream.ToArray();
    }

    private object CallObject(EmulatedCall call) => new
    {
        id = call.Id,
        from = call.From,
        to = call.To,
        direction = "outbound-api",
        status = call.Ended ? "completed" : "answered",
        type = "phone",
        project_id = options.ProjectId,
    };
}
