using System.Collections.Immutable;

namespace Playback;

/// <summary>Factory for media items. Each factory checks its arguments at once; the whole list is checked again, with indexes, when a play is issued.</summary>
public static class Media
{
    /// <summary>The ringtone names the Calling API accepts.</summary>
    public static ImmutableSortedSet<string> RingtoneNames { get; } = ImmutableSortedSet.Create(StringComparer.Ordinal,
        "au", "be", "ca", "cn", "cy", "cz", "de", "dk", "dz", "eg", "es", "fi", "fr", "hu", "il", "in", "jp", "ko", "pk", "pl",
        "ro", "rs", "ru", "sa", "tr", "uk", "us", "at", "bg", "br", "ch", "cl", "ee", "gr", "it", "lt", "mx", "my", "nl", "no",
        "nz", "ph", "pt", "se", "sg", "th", "za", "tw", "ve", "bong");

    /// <summary>An audio file at an absolute http(s) URL.</summary>
    /// <param name="url">The absolute http or https URL.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute http(s) URL.</exception>
    public static AudioMedia Audio(string url) => Checked(new AudioMedia(url));

    /// <summary>An audio file at an absolute http(s) URL.</summary>
    /// <param name="url">The absolute http or https URL.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute http(s) URL.</exception>
    public static AudioMedia Audio(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return Checked(new AudioMedia(url.IsAbsoluteUri ? url.AbsoluteUri : url.OriginalString));
    }

    /// <summary>Text to speak.</summary>
    /// <param name="text">The text; must not be empty.</param>
    /// <param name="language">BCP-47 language, overriding the play's default.</param>
    /// <param name="gender">Voice gender, overriding the play's default.</param>
    /// <param name="voice">Voice name, overriding the play's default.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ArgumentException">A value breaks its rule; the parameter name says which.</exception>
    public static TtsMedia Tts(string text, string? language = null, TtsGender? gender = null, string? voice = null) =>
        Checked(new TtsMedia(text, language, gender, voice));

    /// <summary>Silence for a number of seconds.</summary>
    /// <param name="seconds">Finite and greater than zero.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ArgumentException"><paramref name="seconds"/> is not finite or not positive.</exception>
    public static SilenceMedia Silence(double seconds) => Checked(new SilenceMedia(seconds));

    /// <summary>A country's ringtone, for a number of seconds or until stopped.</summary>
    /// <param name="name">One of <see cref="RingtoneNames"/>.</param>
    /// <param name="seconds">Finite and greater than zero; null plays until stopped.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ArgumentException">The name is unknown or the duration is not positive.</exception>
    public static RingtoneMedia Ringtone(string name, double? seconds = null) => Checked(new RingtoneMedia(name, seconds));

    private static T Checked<T>(T item)
        where T : MediaItem
    {
        PlayValidation.ValidateItem(item, prefix: string.Empty);
        return item;
    }
}
