using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Playback.Emulator;

/// <summary>The emulated calls and plays: applies validated commands, runs play timelines on the clock and emits webhooks.</summary>
internal sealed partial class CallingEngine(EmulatorOptions options, WebhookDispatcher webhooks, ILogger log)
{
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
