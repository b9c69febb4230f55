using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Playback.Emulator;

/// <summary>
/// Validates request bodies exactly per protocol.md sections 2 and 3, with sealed schemas: every unknown key, missing
/// field, wrong type or out-of-range value is one <see cref="ValidationError"/> naming the attribute.
/// </summary>
internal sealed partial class CommandParser(EmulatorOptions options)
{
    /// <summary>The ringtone names of the REST spec.</summary>
    public static readonly HashSet<string> RingtoneNames = new(StringComparer.Ordinal)
    {
        "au", "be", "ca", "cn", "cy", "cz", "de", "dk", "dz", "eg", "es", "fi", "fr", "hu", "il", "in", "jp", "ko", "pk", "pl",
        "ro", "rs", "ru", "sa", "tr", "uk", "us", "at", "bg", "br", "ch", "cl", "ee", "gr", "it", "lt", "mx", "my", "nl", "no",
        "nz", "ph", "pt", "se", "sg", "th", "za", "tw", "ve", "bong",
    };

    /// <summary>TTS is estimated at 15 characters per second of speech, at least half a second.</summary>
    public const double TtsCharactersPerSecond = 15;

    /// <summary>Audio URLs on this reserved top-level domain (RFC 2606) cannot be played: the play reports <c>error</c> when it reaches them.</summary>
    public const string FailingHostSuffix = ".invalid";

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Language();

    [GeneratedRegex("^[A-Za-z0-9.\\-]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Voice();

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

    private MediaSegment? ParseMedia(JsonElement item, string path, List<ValidationError> errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add(Invalid(path, "invalid_type", $"{path} must be an object"));
            return null;
        }

        var outer = new Fields(item, path + ".", errors);
        var type = outer.String("type", required: true);
        JsonElement body;
        string prefix;
        var flat = false;
        if (item.TryGetProperty("params", out var p))
        {
            outer.Use("params");
            outer.RejectUnknown();
            if (p.ValueKind != JsonValueKind.Object)
            {
                errors.Add(Invalid(path + ".params", "invalid_type", $"{path}.params must be an object"));
                return null;
            }

            body = p;
            prefix = path + ".params.";
        }
        else if (options.AcceptFlatMedia)
        {
            body = item;
            prefix = path + ".";
            flat = true;
        }
        else
        {
            errors.Add(Invalid(path + ".params", "flat_media", $"{path} must use the nested form {{\"type\": T, \"params\": {{…}}}} (the flat form is off; EmulatorOptions.AcceptFlatMedia turns it on)"));
            return null;
        }

        var fields = new Fields(body, prefix, errors);
        if (flat)
        {
            fields.Use("type");
        }

        MediaSegment? segment = null;
        switch (type)
        {
            case "audio":
                var url = fields.HttpUrl("url", required: true);
                if (url is not null)
                {
                    var uri = new Uri(url);
                    segment = new MediaSegment("audio", AudioSeconds(uri, prefix + "url", errors), uri.Host.EndsWith(FailingHostSuffix, StringComparison.OrdinalIgnoreCase));
                }

                break;
            case "tts":
                var text = fields.String("text", required: true, nonEmpty: true);
                CheckLanguage(fields.String("language"), prefix + "language", errors);
                CheckGender(fields.String("gender"), prefix + "gender", errors);
                CheckVoice(fields.String("voice"), prefix + "voice", errors);
                if (text is not null)
                {
                    segment = new MediaSegment("tts", Math.Max(0.5, text.Length / TtsCharactersPerSecond), false);
                }

                break;
            case "silence":
                var duration = fields.Number("duration", double.Epsilon, double.MaxValue, required: true);
                if (duration is not null)
                {
                    segment = new MediaSegment("silence", duration, false);
                }

                break;
            case "ringtone":
                var name = fields.String("name", required: true);
                if (name is not null && !RingtoneNames.Contains(name))
                {
                    errors.Add(Invalid(prefix + "name", "invalid_value", $"{prefix}name must be a ringtone name such as us, uk or bong"));
                }

                segment = new MediaSegment("ringtone", fields.Number("duration", double.Epsilon, double.MaxValue), false);
                break;
            case null:
                return null;
            default:
                errors.Add(Invalid(path + ".type", "invalid_value", $"{path}.type must be audio, tts, silence or ringtone"));
                return null;
        }

        fields.RejectUnknown();
        return segment;
    }

    private double AudioSeconds(Uri uri, string attribute, List<ValidationError> errors)
    {
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv[0] == "duration" && kv.Length == 2)
            {
                if (double.TryParse(Uri.UnescapeDataString(kv[1]), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && seconds > 0)
                {
                    return seconds;
                }

                errors.Add(Invalid(attribute, "invalid_value", $"{attribute} has a duration hint that is not a positive number of seconds"));
            }
        }

        return options.DefaultAudioDuration.TotalSeconds;
    }

    private static void CheckLanguage(string? value, string attribute, List<ValidationError> errors)
    {
        if (value is not null && !Language().IsMatch(value))
        {
            errors.Add(Invalid(attribute, "invalid_value", $"{attribute} must be a BCP-47 language tag"));
        }
    }

    private static void CheckVoice(string? value, string attribute, List<ValidationError> errors)
    {
        if (value is not null && !Voice().IsMatch(value))
        {
            errors.Add(Invalid(attribute, "invalid_value", $"{attribute} may contain only letters, digits, '.' and '-'"));
        }
    }

    private static void CheckGender(string? value, string attribute, List<ValidationError> errors)
    {
        if (value is not null and not ("male" or "female"))
        {
            errors.Add(Invalid(attribute, "invalid_value", $"{attribute} must be male or female"));
        }
    }

    private static ValidationError Invalid(string attribute, string code, string message) => new("validation_error", code, message, attribute);

    /// <summary>Typed reads of one JSON object that remember which keys were used, so the rest can be rejected.</summary>
    private sealed class Fields(JsonElement element, string prefix, List<ValidationError> errors)
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public JsonElement Element => element;

        public void Use(params string[] names) => _used.UnionWith(names);

        public string? String(string name, bool required = false, bool nonEmpty = false)
        {
            _used.Add(name);
            if (!TryGet(name, required, out var v))
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.String)
            {
                errors.Add(Invalid(prefix + name, "invalid_type", $"{prefix}{name} must be a string"));
                return null;
            }

            var s = v.GetString()!;
            if (nonEmpty && string.IsNullOrWhiteSpace(s))
            {
                errors.Add(Invalid(prefix + name, "blank", $"{prefix}{name} must not be empty"));
                return null;
            }

            return s;
        }

        public double? Number(string name, double min, double max, bool required = false)
        {
            _used.Add(name);
            if (!TryGet(name, required, out var v))
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
            {
                errors.Add(Invalid(prefix + name, "invalid_type", $"{prefix}{name} must be a number"));
                return null;
            }

            if (d < min || d > max)
            {
                var range = max == double.MaxValue ? "greater than 0" : $"between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}";
                errors.Add(Invalid(prefix + name, "out_of_range", $"{prefix}{name} must be {range}"));
                return null;
            }

            return d;
        }

        public int? Integer(string name, int min)
        {
            _used.Add(name);
            if (!TryGet(name, false, out var v))
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
            {
                errors.Add(Invalid(prefix + name, "invalid_type", $"{prefix}{name} must be an integer"));
                return null;
            }

            if (i < min)
            {
                errors.Add(Invalid(prefix + name, "out_of_range", $"{prefix}{name} must be at least {min}"));
                return null;
            }

            return i;
        }

        public string? HttpUrl(string name, bool required = false)
        {
            var s = String(name, required);
            if (s is null)
            {
                return null;
            }

            if (!Uri.TryCreate(s, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add(Invalid(prefix + name, "invalid_url", $"{prefix}{name} must be an absolute http or https URL"));
                return null;
            }

            return s;
        }

        public void RejectUnknown()
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            foreach (var property in element.EnumerateObject())
            {
                if (!_used.Contains(property.Name))
                {
                    errors.Add(Invalid(prefix + property.Name, "unknown_attribute", $"{prefix}{property.Name} is not a known attribute"));
                }
            }
        }

        private bool TryGet(string name, bool required, out JsonElement value)
        {
            value = default;
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    errors.Add(Invalid(prefix + name, "required", $"{prefix}{name} is required"));
                }

                return false;
            }

            return true;
        }
    }
}
