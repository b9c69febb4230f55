using System.Globalization;
using System.Text.RegularExpressions;

namespace Playback;

/// <summary>The validation rules of docs/protocol.md sections 2 and 3. Every failure is an <see cref="ArgumentException"/> whose ParamName is the wire field (with the item index for media).</summary>
internal static partial class PlayValidation
{
    public const double MinVolume = -40;
    public const double MaxVolume = 40;
    public const int MaxControlIdLength = 128;
    public const int MaxCallIdLength = 128;

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex LanguagePattern();

    [GeneratedRegex("^[A-Za-z0-9.\\-]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex VoicePattern();

    [GeneratedRegex("^[A-Za-z0-9_.:\\-]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ControlIdPattern();

    /// <summary>Checks a whole play: the media list, then the options.</summary>
    public static void ValidatePlay(IReadOnlyList<MediaItem>? media, PlayOptions? options)
    {
        if (media is null)
        {
            throw new ArgumentNullException("media", "media must not be null.");
        }

        if (media.Count == 0)
        {
            throw new ArgumentException("media must contain at least one item.", "media");
        }

        for (var i = 0; i < media.Count; i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"media[{i}].");
            if (media[i] is null)
            {
                throw new ArgumentException($"media[{i}] must not be null.", $"media[{i}]");
            }

            ValidateItem(media[i], prefix);
        }

        if (options is not null)
        {
            ValidateOptions(options);
        }
    }

    public static void ValidateItem(MediaItem item, string prefix)
    {
        switch (item)
        {
            case AudioMedia audio:
                ValidateHttpUrl(audio.Url, prefix + "url");
                break;
            case TtsMedia tts:
                if (string.IsNullOrWhiteSpace(tts.Text))
                {
                    throw Fail(prefix + "text", "must not be empty", tts.Text);
                }

                ValidateLanguage(tts.Language, prefix + "language");
                ValidateGender(tts.Gender, prefix + "gender");
                ValidateVoice(tts.Voice, prefix + "voice");
                break;
            case SilenceMedia silence:
                ValidateDuration(silence.Duration, prefix + "duration");
                break;
            case RingtoneMedia ringtone:
                if (ringtone.Name is null || !Media.RingtoneNames.Contains(ringtone.Name))
                {
                    throw Fail(prefix + "name", "must be one of the ringtone names (" + string.Join(", ", Media.RingtoneNames) + ")", ringtone.Name);
                }

                if (ringtone.Duration is { } d)
                {
                    ValidateDuration(d, prefix + "duration");
                }

                break;
            default:
                throw new ArgumentException($"{prefix}type: unsupported media item type {item.GetType().Name}.", prefix + "type");
        }
    }

    public static void ValidateOptions(PlayOptions options)
    {
        if (options.ControlId is not null)
        {
            ValidateControlId(options.ControlId, "control_id");
        }

        if (options.Volume is { } volume)
        {
            ValidateVolume(volume, "volume");
        }

        if (options.Direction is { } direction && !Enum.IsDefined(direction))
        {
            throw Fail("direction", "must be listen, speak or both", direction);
        }

        if (options.Loop is < 0)
        {
            throw Fail("loop", "must be 0 (forever) or a positive number of plays", options.Loop);
        }

        ValidateLanguage(options.Language, "language");
        ValidateVoice(options.Voice, "voice");
        ValidateGender(options.Gender, "gender");
        if (options.StatusUrl is not null)
        {
            ValidateHttpUrl(options.StatusUrl.IsAbsoluteUri ? options.StatusUrl.AbsoluteUri : options.StatusUrl.OriginalString, "status_url");
        }

        if (!Enum.IsDefined(options.WhenBusy))
        {
            throw Fail("when_busy", "must be Enqueue, Replace or Reject", options.WhenBusy);
        }
    }

    public static void ValidateVolume(double volume, string field)
    {
        if (!double.IsFinite(volume) || volume < MinVolume || volume > MaxVolume)
        {
            throw Fail(field, "must be a finite number of dB from -40 to 40 inclusive", volume);
        }
    }

    public static void ValidateControlId(string? controlId, string field)
    {
        if (string.IsNullOrEmpty(controlId) || controlId.Length > MaxControlIdLength || !ControlIdPattern().IsMatch(controlId))
        {
            throw Fail(field, "must be 1 to 128 characters of letters, digits, '-', '_', '.' or ':'", controlId);
        }
    }

    public static void ValidateCallId(string? callId)
    {
        // Unpaired surrogates are no text: they could not be sent as they are, nor name the call's actor (PlaybackActor.NameFor).
        if (string.IsNullOrWhiteSpace(callId) || callId.Length > MaxCallIdLength || callId.Any(char.IsControl) || HasUnpairedSurrogate(callId))
        {
            throw Fail("call_id", "must be a non-empty call id of at most 128 characters without control characters or unpaired surrogates", callId);
        }
    }

    private static bool HasUnpairedSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static void ValidateDuration(double seconds, string field)
    {
        if (!double.IsFinite(seconds) || seconds <= 0)
        {
            throw Fail(field, "must be a finite number of seconds greater than 0", seconds);
        }
    }

    private static void ValidateHttpUrl(string? url, string field)
    {
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(uri.Host))
        {
            throw Fail(field, "must be an absolute http or https URL", url);
        }
    }

    private static void ValidateLanguage(string? language, string field)
    {
        if (language is not null && !LanguagePattern().IsMatch(language))
        {
            throw Fail(field, "must be a BCP-47 language tag such as en-US", language);
        }
    }

    private static void ValidateVoice(string? voice, string field)
    {
        if (voice is not null && !VoicePattern().IsMatch(voice))
        {
            throw Fail(field, "must contain only letters, digits, '.' and '-'", voice);
        }
    }

    private static void ValidateGender(TtsGender? gender, string field)
    {
        if (gender is { } g && !Enum.IsDefined(g))
        {
            throw Fail(field, "must be male or female", g);
        }
    }

    private static ArgumentException Fail(string field, string rule, object? value)
    {
        var shown = value switch
        {
            null => "null",
            string s => "\"" + (s.Length > 64 ? s[..64] + "…" : s) + "\"",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        return new ArgumentException($"{field} {rule} (was {shown}).", field);
    }
}
