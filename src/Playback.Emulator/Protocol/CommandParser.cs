using System.Text.Json;

namespace Playback.Emulator;

/// <summary>
/// Validates request bodies exactly per docs/protocol.md sections 2 and 3, with sealed schemas: every unknown key, missing
/// field, wrong type or out-of-range value is one <see cref="ValidationError"/> naming the attribute.
/// </summary>
internal sealed partial class CommandParser(EmulatorOptions options)
{
    public (EmulatorCommand? Command, List<ValidationError> Errors) Parse(JsonElement root)
    {
        var errors = new List<ValidationError>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(Invalid("body", "invalid_type", "the body must be a JSON object"));
            return (null, errors);
        }

        var top = new Fields(root, string.Empty, errors);
        var command = top.String("command", required: true);
        var id = top.String("id", required: command is not null and not "dial");
        var hasParams = root.TryGetProperty("params", out var p);
        top.Use("params");
        top.RejectUnknown();
        if (hasParams && p.ValueKind != JsonValueKind.Object)
        {
            errors.Add(Invalid("params", "invalid_type", "params must be an object"));
            return (null, errors);
        }

        if (command is null)
        {
            return (null, errors);
        }

        var parameters = new Fields(hasParams ? p : default, string.Empty, errors);
        EmulatorCommand? result = command switch
        {
            "dial" => new DialCommand(parameters.String("from"), parameters.String("to"), parameters.HttpUrl("status_url")),
            "end" => EndOf(parameters, id),
            "calling.play" => PlayOf(parameters, id, hasParams, errors),
            "calling.play.pause" or "calling.play.resume" or "calling.play.stop" => ControlOf(command, parameters, id, hasParams, errors, withVolume: false),
            "calling.play.volume" => ControlOf(command, parameters, id, hasParams, errors, withVolume: true),
            _ => null,
        };

        if (command == "dial")
        {
            parameters.Use("caller_id", "timeout", "max_duration");
        }

        if (result is null && command is not ("calling.play" or "calling.play.pause" or "calling.play.resume" or "calling.play.stop" or "calling.play.volume" or "end"))
        {
            errors.Add(Invalid("command", "unsupported", $"command {command} is not supported by the emulator"));
        }

        if (result is not null || command is "calling.play" or "calling.play.pause" or "calling.play.resume" or "calling.play.stop" or "calling.play.volume" or "end" or "dial")
        {
            // The params of an unsupported command are not judged: its `command` error says it all.
            parameters.RejectUnknown();
        }

        return errors.Count > 0 ? (null, errors) : (result, errors);
    }

    private static EndCommand? EndOf(Fields parameters, string? id)
    {
        parameters.String("reason");
        return id is null ? null : new EndCommand(id);
    }

    private PlayCommand? PlayOf(Fields parameters, string? id, bool hasParams, List<ValidationError> errors)
    {
        if (!hasParams)
        {
            errors.Add(Invalid("params", "required", "params is required"));
            return null;
        }

        var controlId = parameters.String("control_id", required: true, nonEmpty: true);
        var volume = parameters.Number("volume", -40, 40) ?? 0;
        var direction = parameters.String("direction");
        if (direction is not null and not ("listen" or "speak" or "both"))
        {
            errors.Add(Invalid("direction", "invalid_value", "direction must be listen, speak or both"));
        }

        var loop = parameters.Integer("loop", min: 0) ?? 1;
        var language = parameters.String("language");
        CheckLanguage(language, "language", errors);
        var voice = parameters.String("voice");
        CheckVoice(voice, "voice", errors);
        CheckGender(parameters.String("gender"), "gender", errors);
        var statusUrl = parameters.HttpUrl("status_url");
        var media = new List<MediaSegment>();
        parameters.Use("play");
        if (!parameters.Element.TryGetProperty("play", out var play))
        {
            errors.Add(Invalid("play", "required", "play is required"));
        }
        else if (play.ValueKind != JsonValueKind.Array)
        {
            errors.Add(Invalid("play", "invalid_type", "play must be an array of media items"));
        }
        else if (play.GetArrayLength() == 0)
        {
            errors.Add(Invalid("play", "empty", "play must contain at least one media item"));
        }
        else
        {
            var i = 0;
            foreach (var item in play.EnumerateArray())
            {
                if (ParseMedia(item, $"play[{i++}]", errors) is { } segment)
                {
                    media.Add(segment);
                }
            }
        }

        return id is null || controlId is null ? null : new PlayCommand(id, controlId, media, volume, loop, statusUrl);
    }

    private static ControlCommand? ControlOf(string command, Fields parameters, string? id, bool hasParams, List<ValidationError> errors, bool withVolume)
    {
        if (!hasParams)
        {
            errors.Add(Invalid("params", "required", "params is required"));
            return null;
        }

        var controlId = parameters.String("control_id", required: true, nonEmpty: true);
        double? volume = withVolume ? parameters.Number("volume", -40, 40, required: true) : null;
        return id is null || controlId is null ? null : new ControlCommand(command, id, controlId, volume);
    }

    private static ValidationError Invalid(string attribute, string code, string message) => new("validation_error", code, message, attribute);
}
