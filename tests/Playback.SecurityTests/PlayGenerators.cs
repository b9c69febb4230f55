using CsCheck;

namespace Playback.SecurityTests;

/// <summary>One generated play: the media list (items may be null, the list may be empty) and the options.</summary>
public sealed record PlayCase(IReadOnlyList<MediaItem?> Media, PlayOptions Options)
{
    public override string ToString() =>
        "media = [" + string.Join(", ", Media.Select(Describe)) + "], options = " + Describe(Options);

    public static string Describe(MediaItem? item) => item switch
    {
        null => "null",
        AudioMedia a => $"audio(url: {Support.Show(a.Url)})",
        TtsMedia t => $"tts(text: {Support.Show(t.Text)}, language: {Support.Show(t.Language)}, gender: {Support.Show(t.Gender)}, voice: {Support.Show(t.Voice)})",
        SilenceMedia s => $"silence(duration: {Support.Show(s.Duration)})",
        RingtoneMedia r => $"ringtone(name: {Support.Show(r.Name)}, duration: {Support.Show(r.Duration)})",
        _ => item.GetType().Name,
    };

    public static string Describe(PlayOptions o) =>
        $"{{ control_id: {Support.Show(o.ControlId)}, volume: {Support.Show(o.Volume)}, direction: {Support.Show(o.Direction)}, loop: {Support.Show(o.Loop)}, " +
        $"language: {Support.Show(o.Language)}, voice: {Support.Show(o.Voice)}, gender: {Support.Show(o.Gender)}, status_url: {Support.Show(o.StatusUrl)}, " +
        $"when_busy: {Support.Show<PlayConflict>(o.WhenBusy)} }}";
}

/// <summary>
/// CsCheck generators over every field of <see cref="PlayOptions"/> and every media type. For each field there is a
/// <c>Valid…</c> generator (values the protocol accepts) and an <c>Any…</c> generator that mixes valid values with
/// invalid ones (out of range, non-finite, empty, white space, control characters, unicode, 200 characters, valid values
/// with a stray character, undefined enum values). Valid URLs point at <see cref="LoopbackBase"/> so that nothing leaves
/// the machine when the emulator posts to a status URL.
/// </summary>
public sealed class PlayGenerators(string loopbackBase)
{
    private static readonly Gen<char> Letter = Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];
    private static readonly Gen<char> LetterOrDigit = Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"];
    private static readonly Gen<char> WhiteSpaceChar = Gen.Char[" \t\n\r\v\f\u00a0\u1680\u2003\u2028\u3000"];

    /// <summary>Any character a user might type or paste: printable ASCII mostly, control characters, white space, BMP letters and symbols, and now and then a lone surrogate.</summary>
    private static readonly Gen<char> AnyChar = Gen.Frequency(
        (16, Gen.Char[' ', '~']),
        (2, Gen.Char['\u0000', '\u001f']),
        (2, WhiteSpaceChar),
        (4, Gen.Char['\u00a0', '\ud7ff']),
        (2, Gen.Char['\ue000', '\ufffd']),
        (1, Gen.Char['\ud800', '\udfff']));

    /// <summary>Characters that break a valid value when added to it.</summary>
    private static readonly Gen<string> Stray = Gen.OneOf("\n", "\r\n", " ", "\t", "\0", "_", "/", "é", "\u00a0", "\u200b", "😀", "\u212a" /* Kelvin sign */, "İ");

    private static readonly Gen<string> AnyString = Gen.Frequency(
        (4, Gen.String[AnyChar, 0, 24]),
        (1, Gen.String[AnyChar, 200, 200]),
        (1, Gen.String[WhiteSpaceChar, 1, 6]),
        (1, Gen.Const(string.Empty)),
        (1, Gen.OneOf("😀", "日本語", "Ünïcödé", "\u0000", "\ufeffen-US", "null", "undefined", "<script>", "'; DROP TABLE plays;--", "%00", "../../etc/passwd")));

    public string LoopbackBase { get; } = loopbackBase.TrimEnd('/');

    // ---- doubles and integers ----

    private static readonly Gen<double> SpecialDouble = Gen.OneOf(
        double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, double.Epsilon, -double.Epsilon,
        double.MaxValue, double.MinValue, 1e-300, -1e-300, 1e300);

    public static readonly Gen<double> AnyDouble = Gen.Frequency(
        (3, Gen.Double),
        (2, SpecialDouble),
        (2, Gen.Double[-100, 100]),
        (1, Gen.Int[-1000, 1000].Select(i => (double)i)));

    public static readonly Gen<double> ValidVolume = Gen.Frequency(
        (4, Gen.Double[-40, 40]),
        (1, Gen.OneOf(-40.0, 40.0, 0.0, -0.0, Math.BitDecrement(40.0), Math.BitIncrement(-40.0), double.Epsilon)),
        (1, Gen.Int[-40, 40].Select(i => (double)i)));

    public static readonly Gen<double> AnyVolume = Gen.Frequency(
        (3, ValidVolume),
        (3, AnyDouble),
        (1, Gen.OneOf(Math.BitIncrement(40.0), Math.BitDecrement(-40.0), 40.000001, -40.000001, 41.0, -41.0)));

    public static readonly Gen<double> ValidDuration = Gen.Frequency(
        (4, Gen.Double[0.001, 600]),
        (1, Gen.OneOf(double.Epsilon, 1e-300, 0.5, 1.0, 86400.0, 1e9, 1e300, double.MaxValue)),
        (1, Gen.Double.Where(d => double.IsFinite(d) && d > 0)));

    public static readonly Gen<double> AnyDuration = Gen.Frequency((2, ValidDuration), (3, AnyDouble));

    public static readonly Gen<int> AnyLoop = Gen.Frequency(
        (2, Gen.Int[0, 10]),
        (2, Gen.Int[-10, -1]),
        (2, Gen.Int),
        (1, Gen.OneOf(0, 1, -1, int.MaxValue, int.MinValue)));

    // ---- strings with a rule ----

    public static readonly Gen<string> ValidControlId = Gen.Frequency(
        (3, Gen.Guid.Select(g => g.ToString())),
        (3, Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:"], 1, 128]),
        (1, Gen.OneOf("a", "hold-music:1", "x.y_z-1:2", new string('c', 128))));

    public static readonly Gen<string> AnyControlId = Gen.Frequency(
        (3, ValidControlId),
        (3, AnyString),
        (2, Mutated(ValidControlId)),
        (1, Gen.OneOf(new string('c', 129), "with space", "slash/id", "a,b", "é")));

    public static readonly Gen<string> ValidLanguage = Gen.Frequency(
        (2, Gen.OneOf("en-US", "en", "fr-FR", "pt-BR", "zh-Hant-TW", "es-419", "de-CH-1901", "sr-Latn-RS", "EN-us", "yue")),
        (2, Gen.Select(Gen.String[Letter, 2, 3], Gen.String[LetterOrDigit, 1, 8].List[0, 3], (primary, rest) => string.Join("-", rest.Prepend(primary)))));

    public static readonly Gen<string> AnyLanguage = Gen.Frequency(
        (3, ValidLanguage),
        (3, Mutated(ValidLanguage)),
        (3, AnyString),
        (1, Gen.OneOf("e", "english", "en_US", "en-", "-US", "en--US", "en-US-", "en-123456789", "1n-US", "e1", "en US")));

    public static readonly Gen<string> ValidVoice = Gen.Frequency(
        (2, Gen.OneOf("Polly.Joanna", "en-US-Neural2-A", "gcloud.en-US-Wavenet-D", "alice", "v1.2")),
        (2, Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"], 1, 40]));

    public static readonly Gen<string> AnyVoice = Gen.Frequency(
        (3, ValidVoice),
        (3, Mutated(ValidVoice)),
        (3, AnyString),
        (1, Gen.OneOf("Polly Joanna", "Polly_Joanna", "Polly.Léa", "voice:1", "a/b")));

    public static readonly Gen<string> ValidText = Gen.Frequency(
        (3, Gen.String[AnyChar, 1, 60].Where(ProtocolOracle.IsText)),
        (1, Gen.OneOf("Please hold.", "  padded  ", "😀", "日本語のテキスト", "\ttabbed\n", "<speak>ssml?</speak>", new string('x', 200))));

    public static readonly Gen<string?> AnyText = Gen.Frequency(
        (3, ValidText.Select(s => (string?)s)),
        (2, Gen.String[WhiteSpaceChar, 0, 8].Select(s => (string?)s)),
        (2, AnyString.Select(s => (string?)s)),
        (1, Gen.Const<string?>((string?)null)));

    public static readonly Gen<string> ValidRingtoneName = Gen.OneOf(ProtocolOracle.RingtoneNames);

    public static readonly Gen<string?> AnyRingtoneName = Gen.Frequency(
        (3, ValidRingtoneName.Select(s => (string?)s)),
        (2, Mutated(ValidRingtoneName).Select(s => (string?)s)),
        (2, AnyString.Select(s => (string?)s)),
        (1, Gen.OneOf<string?>("US", "Us", " us", "usa", "gb", "BONG", "xx", null)));

    // ---- URLs ----

    /// <summary>Valid URLs on <see cref="LoopbackBase"/>: safe as status URLs, since the emulator posts webhooks to them.</summary>
    public Gen<string> ValidUrl => Gen.Frequency(
        (3, Gen.Select(Gen.String[LetterOrDigit, 1, 12], Gen.OneOf("", ".mp3", ".wav", "/"), (p, ext) => $"{LoopbackBase}/media/{p}{ext}")),
        (1, Gen.Select(Gen.String[LetterOrDigit, 1, 8], Gen.String[LetterOrDigit, 0, 8], (k, v) => $"{LoopbackBase}/media/a.mp3?k{k}={v}")),
        (1, Gen.String[LetterOrDigit, 1, 8].Select(p => $"{LoopbackBase.Replace("http://", "HTTP://", StringComparison.Ordinal)}/media/{p}%20name.mp3")));

    /// <summary>Valid audio URLs: those of <see cref="ValidUrl"/> and a few odd but valid ones (never fetched: the emulator only reads their host and query).</summary>
    public Gen<string> ValidAudioUrl => Gen.Frequency(
        (4, ValidUrl),
        (1, Gen.OneOf("https://127.0.0.1/hold.mp3", "http://[::1]/v6.mp3", "http://localhost:1/x.wav", "https://127.0.0.1/%20spaced%20name.mp3", "https://bücher.example/ü.mp3")));

    public Gen<string?> AnyAudioUrl => AnyUrlFrom(ValidAudioUrl, Mutated(ValidAudioUrl));

    /// <summary>Status URLs, valid or not. Stray characters go around the URL or into its path only, so that a valid one never names another host.</summary>
    public Gen<string?> AnyStatusUrlText => AnyUrlFrom(ValidUrl, Mutated(ValidUrl, keep: new Uri(LoopbackBase).GetLeftPart(UriPartial.Authority).Length));

    private static Gen<string?> AnyUrlFrom(Gen<string> valid, Gen<string> mutated) => Gen.Frequency(
        (3, valid.Select(s => (string?)s)),
        (2, Gen.OneOf<string?>(
            null, "", " ", "relative/hold.mp3", "/absolute/path.mp3", "./x.mp3", "//127.0.0.1/scheme-relative.mp3", "127.0.0.1/hold.mp3",
            "ftp://127.0.0.1/hold.mp3", "file:///etc/passwd", "mailto:ops@example.com", "javascript:alert(1)", "data:audio/mp3;base64,AAAA",
            "http://", "https://", "http:///path-only", "https:// 127.0.0.1/x", "http://127.0.0.1:99999/x", "ws://127.0.0.1/socket", "urn:isbn:0451450523")),
        (2, mutated.Select(s => (string?)s)),
        (2, AnyString.Select(s => (string?)s)));

    public Gen<Uri> ValidStatusUrl => ValidUrl.Select(s => new Uri(s, UriKind.Absolute));

    public Gen<Uri?> AnyStatusUrl => Gen.Frequency(
        (3, ValidStatusUrl.Select(u => (Uri?)u)),
        (1, Gen.Const<Uri?>((Uri?)null)),
        (3, AnyStatusUrlText.Select(s => s is not null && Uri.TryCreate(s, UriKind.RelativeOrAbsolute, out var u) ? u : null)),
        (1, Gen.OneOf<Uri?>(new Uri("relative/status", UriKind.Relative), new Uri("/status", UriKind.Relative), new Uri("ftp://127.0.0.1/status"), new Uri("file:///tmp/status"))));

    // ---- enums (undefined values through casts) ----

    public static readonly Gen<PlayDirection?> AnyDirection = Gen.Frequency(
        (3, Gen.OneOf<PlayDirection?>(null, PlayDirection.Listen, PlayDirection.Speak, PlayDirection.Both)),
        (1, Gen.Int[-5, 10].Select(i => (PlayDirection?)(PlayDirection)i)),
        (1, Gen.Int.Select(i => (PlayDirection?)(PlayDirection)i)));

    public static readonly Gen<TtsGender?> AnyGender = Gen.Frequency(
        (3, Gen.OneOf<TtsGender?>(null, TtsGender.Male, TtsGender.Female)),
        (1, Gen.Int[-5, 10].Select(i => (TtsGender?)(TtsGender)i)),
        (1, Gen.Int.Select(i => (TtsGender?)(TtsGender)i)));

    public static readonly Gen<PlayConflict> AnyWhenBusy = Gen.Frequency(
        (3, Gen.OneOf(PlayConflict.Enqueue, PlayConflict.Replace, PlayConflict.Reject)),
        (1, Gen.Int[-5, 10].Select(i => (PlayConflict)i)),
        (1, Gen.Int.Select(i => (PlayConflict)i)));

    private static readonly Gen<PlayDirection?> ValidDirection = Gen.OneOf<PlayDirection?>(null, PlayDirection.Listen, PlayDirection.Speak, PlayDirection.Both);
    private static readonly Gen<TtsGender?> ValidGender = Gen.OneOf<TtsGender?>(null, TtsGender.Male, TtsGender.Female);

    // ---- options ----

    public Gen<PlayOptions> ValidOptions => Gen.Select(
        Maybe(ValidControlId), MaybeValue(ValidVolume), ValidDirection, MaybeValue(Gen.Int[0, 1000]), Maybe(ValidLanguage), Maybe(ValidVoice),
        ValidGender, Maybe(ValidStatusUrl), Gen.OneOf(PlayConflict.Enqueue, PlayConflict.Replace, PlayConflict.Reject),
        (controlId, volume, direction, loop, language, voice, gender, statusUrl, whenBusy) => new PlayOptions
        {
            ControlId = controlId, Volume = volume, Direction = direction, Loop = loop, Language = language, Voice = voice,
            Gender = gender, StatusUrl = statusUrl, WhenBusy = whenBusy,
        });

    public Gen<PlayOptions> AnyOptions => Gen.Select(
        Maybe(AnyControlId), MaybeValue(AnyVolume), AnyDirection, MaybeValue(AnyLoop), Maybe(AnyLanguage), Maybe(AnyVoice),
        AnyGender, AnyStatusUrl, AnyWhenBusy,
        (controlId, volume, direction, loop, language, voice, gender, statusUrl, whenBusy) => new PlayOptions
        {
            ControlId = controlId, Volume = volume, Direction = direction, Loop = loop, Language = language, Voice = voice,
            Gender = gender, StatusUrl = statusUrl, WhenBusy = whenBusy,
        });

    /// <summary>Valid options with exactly one field (chosen at random) taken from <see cref="AnyOptions"/>.</summary>
    public Gen<PlayOptions> OptionsWithOneAnyField => Gen.Select(ValidOptions, AnyOptions, Gen.Int[0, 8], (valid, any, which) => which switch
    {
        0 => valid with { ControlId = any.ControlId },
        1 => valid with { Volume = any.Volume },
        2 => valid with { Direction = any.Direction },
        3 => valid with { Loop = any.Loop },
        4 => valid with { Language = any.Language },
        5 => valid with { Voice = any.Voice },
        6 => valid with { Gender = any.Gender },
        7 => valid with { StatusUrl = any.StatusUrl },
        _ => valid with { WhenBusy = any.WhenBusy },
    });

    // ---- media ----

    public Gen<MediaItem> ValidItem => Gen.Frequency(
        (1, ValidAudioUrl.Select(u => (MediaItem)new AudioMedia(u))),
        (1, Gen.Select(ValidText, Maybe(ValidLanguage), ValidGender, Maybe(ValidVoice), (text, language, gender, voice) => (MediaItem)new TtsMedia(text, language, gender, voice))),
        (1, ValidDuration.Select(d => (MediaItem)new SilenceMedia(d))),
        (1, Gen.Select(ValidRingtoneName, MaybeValue(ValidDuration), (name, d) => (MediaItem)new RingtoneMedia(name, d))));

    public Gen<MediaItem?> AnyItem => Gen.Frequency(
        (2, AnyAudioUrl.Select(u => (MediaItem?)new AudioMedia(u!))),
        (2, Gen.Select(AnyText, Maybe(AnyLanguage), AnyGender, Maybe(AnyVoice), (text, language, gender, voice) => (MediaItem?)new TtsMedia(text!, language, gender, voice))),
        (2, AnyDuration.Select(d => (MediaItem?)new SilenceMedia(d))),
        (2, Gen.Select(AnyRingtoneName, MaybeValue(AnyDuration), (name, d) => (MediaItem?)new RingtoneMedia(name!, d))),
        (1, Gen.Const<MediaItem?>((MediaItem?)null)));

    public Gen<List<MediaItem?>> ValidList => ValidItem.Select(i => (MediaItem?)i).List[1, 6];

    /// <summary>A valid list of 1 to 6 items with one item, at a random index, replaced by (or, now and then, an item inserted from) <see cref="AnyItem"/>; now and then an empty list.</summary>
    public Gen<List<MediaItem?>> ListWithOneAnyItem => Gen.Frequency(
        (20, Gen.Select(ValidList, AnyItem, Gen.Int[0, 5], Gen.Bool, (list, item, index, insert) =>
        {
            var copy = new List<MediaItem?>(list);
            if (insert)
            {
                copy.Insert(index % (copy.Count + 1), item);
            }
            else
            {
                copy[index % copy.Count] = item;
            }

            return copy;
        })),
        (1, Gen.Const(() => new List<MediaItem?>())));

    public Gen<List<MediaItem?>> AnyList => Gen.Frequency((12, AnyItem.List[1, 6]), (1, Gen.Const(() => new List<MediaItem?>())));

    // ---- whole plays ----

    public Gen<PlayCase> ValidPlays => Gen.Select(ValidList, ValidOptions, (m, o) => new PlayCase(m, o));

    public Gen<PlayCase> PlaysWithOneAnyOption => Gen.Select(ValidList, OptionsWithOneAnyField, (m, o) => new PlayCase(m, o));

    public Gen<PlayCase> PlaysWithOneAnyItem => Gen.Select(ListWithOneAnyItem, ValidOptions, (m, o) => new PlayCase(m, o));

    public Gen<PlayCase> AnyPlays => Gen.Select(AnyList, AnyOptions, (m, o) => new PlayCase(m, o));

    // ---- combinators ----

    /// <summary>A valid value broken (or not) by a stray character before, after or inside it (inside: not among its first <paramref name="keep"/> characters).</summary>
    private static Gen<string> Mutated(Gen<string> valid, int keep = 0) => Gen.Select(valid, Stray, Gen.Int[0, 2], Gen.Int[0, 1000], (v, s, where, at) => where switch
    {
        0 => s + v,
        1 => v + s,
        _ => v.Insert(Math.Min(keep, v.Length) + (at % (Math.Max(0, v.Length - keep) + 1)), s),
    });

    private static Gen<T?> Maybe<T>(Gen<T> gen)
        where T : class => Gen.Frequency((1, Gen.Const<T?>(default(T?))), (2, gen.Select(v => (T?)v)));

    private static Gen<T?> MaybeValue<T>(Gen<T> gen)
        where T : struct => Gen.Frequency((1, Gen.Const<T?>(default(T?))), (2, gen.Select(v => (T?)v)));
}
