using System.Globalization;

namespace Playback.SecurityTests;

/// <summary>
/// The validity rules of a play, written from protocol.md sections 2 and 3 (and the documented rule of
/// <see cref="PlayOptions.ControlId"/>) without looking at or calling Playback's own validation.
/// </summary>
/// <remarks>
/// Which field is reported when several are broken: the media list first (an empty list is <c>media</c>, a null item
/// <c>media[i]</c>, then each item's fields in the order of the protocol's media table), then the params in the order of
/// the protocol's calling.play table, then Playback's own <c>when_busy</c>.
/// <list type="bullet">
/// <item><c>control_id</c>: 1 to 128 characters, each an ASCII letter or digit or one of <c>- _ . :</c> (PlayOptions' documented rule; the protocol only says "string").</item>
/// <item><c>volume</c>: finite, -40 to 40 inclusive. <c>loop</c>: an integer, 0 (forever) or more.</item>
/// <item><c>direction</c>, <c>gender</c>: one of the listed values (an enum value outside them is invalid).</item>
/// <item><c>language</c>: a BCP-47 tag in its usual form: a 2–3 letter language subtag, then any number of <c>-</c> + 1–8 letters/digits subtags.</item>
/// <item><c>voice</c>: non-empty; letters, digits, <c>.</c> and <c>-</c> only.</item>
/// <item><c>status_url</c> and audio <c>url</c>: an absolute http or https URL with a host.</item>
/// <item>tts <c>text</c>: required and non-empty (text made only of white space is empty).</item>
/// <item>silence <c>duration</c>: finite and &gt; 0. ringtone <c>name</c>: one of the REST spec's names (exact case); its optional <c>duration</c> finite and &gt; 0.</item>
/// </list>
/// </remarks>
internal static class ProtocolOracle
{
    public static readonly string[] RingtoneNames =
        "au be ca cn cy cz de dk dz eg es fi fr hu il in jp ko pk pl ro rs ru sa tr uk us at bg br ch cl ee gr it lt mx my nl no nz ph pt se sg th za tw ve bong".Split(' ');

    /// <summary>The wire name of the first broken field, or null when the play is valid.</summary>
    public static string? FirstBrokenField(IReadOnlyList<MediaItem?>? media, PlayOptions? options)
    {
        if (media is null || media.Count == 0)
        {
            return "media";
        }

        for (var i = 0; i < media.Count; i++)
        {
            var item = media[i];
            var prefix = "media[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            if (item is null)
            {
                return prefix;
            }

            if (BrokenItemField(item) is { } field)
            {
                return prefix + "." + field;
            }
        }

        return options is null ? null : BrokenOptionField(options);
    }

    public static string? BrokenItemField(MediaItem item) => item switch
    {
        AudioMedia a => IsHttpUrl(a.Url) ? null : "url",
        TtsMedia t => !IsText(t.Text) ? "text"
            : t.Language is not null && !IsLanguage(t.Language) ? "language"
            : t.Gender is { } g && !IsGender(g) ? "gender"
            : t.Voice is not null && !IsVoice(t.Voice) ? "voice"
            : null,
        SilenceMedia s => IsDuration(s.Duration) ? null : "duration",
        RingtoneMedia r => r.Name is null || !RingtoneNames.Contains(r.Name, StringComparer.Ordinal) ? "name"
            : r.Duration is { } d && !IsDuration(d) ? "duration"
            : null,
        _ => "type",
    };

    public static string? BrokenOptionField(PlayOptions o)
    {
        if (o.ControlId is not null && !IsControlId(o.ControlId))
        {
            return "control_id";
        }

        if (o.Volume is { } v && !IsVolume(v))
        {
            return "volume";
        }

        if (o.Direction is { } d && d is not (PlayDirection.Listen or PlayDirection.Speak or PlayDirection.Both))
        {
            return "direction";
        }

        if (o.Loop is < 0)
        {
            return "loop";
        }

        if (o.Language is not null && !IsLanguage(o.Language))
        {
            return "language";
        }

        if (o.Voice is not null && !IsVoice(o.Voice))
        {
            return "voice";
        }

        if (o.Gender is { } g && !IsGender(g))
        {
            return "gender";
        }

        if (o.StatusUrl is { } u && !IsHttpUrl(u))
        {
            return "status_url";
        }

        return o.WhenBusy is PlayConflict.Enqueue or PlayConflict.Replace or PlayConflict.Reject ? null : "when_busy";
    }

    public static bool IsVolume(double db) => double.IsFinite(db) && db >= -40 && db <= 40;

    public static bool IsDuration(double seconds) => double.IsFinite(seconds) && seconds > 0;

    public static bool IsGender(TtsGender g) => g is TtsGender.Male or TtsGender.Female;

    public static bool IsText(string? text)
    {
        if (text is null)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsControlId(string id)
    {
        if (id.Length is < 1 or > 128)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or ':'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsVoice(string voice)
    {
        if (voice.Length == 0)
        {
            return false;
        }

        foreach (var c in voice)
        {
            if (!IsAsciiLetterOrDigit(c) && c is not ('.' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsLanguage(string tag)
    {
        var subtags = tag.Split('-');
        if (subtags[0].Length is < 2 or > 3 || !subtags[0].All(IsAsciiLetter))
        {
            return false;
        }

        return subtags.Skip(1).All(s => s.Length is >= 1 and <= 8 && s.All(IsAsciiLetterOrDigit));
    }

    public static bool IsHttpUrl(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && IsHttpUrl(uri);

    public static bool IsHttpUrl(Uri uri) =>
        uri.IsAbsoluteUri && (uri.Scheme == "http" || uri.Scheme == "https") && uri.Host.Length > 0;

    private static bool IsAsciiLetter(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z';

    private static bool IsAsciiLetterOrDigit(char c) => IsAsciiLetter(c) || c is >= '0' and <= '9';
}
