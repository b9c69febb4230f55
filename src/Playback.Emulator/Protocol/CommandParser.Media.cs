using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Playback.Emulator;

// Media items (audio, tts, silence, ringtone) and their durations, and the checks of language, voice and gender values.
internal sealed partial class CommandParser
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
}
