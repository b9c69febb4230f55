using System.Text.Json.Serialization;

namespace Playback;

/// <summary>One item of a playback list: audio, text-to-speech, silence or a ringtone.</summary>
/// <remarks>Build items through <see cref="Media"/>; every item is validated again, with its index, when a play is issued.</remarks>
[JsonConverter(typeof(MediaItemJsonConverter))]
public abstract record MediaItem
{
    private protected MediaItem()
    {
    }

    /// <summary>The wire type name of this item (<c>audio</c>, <c>tts</c>, <c>silence</c> or <c>ringtone</c>).</summary>
    public abstract string Type { get; }
}

/// <summary>An audio file fetched by SignalWire from an absolute http(s) URL.</summary>
/// <param name="Url">The absolute http or https URL of the file.</param>
public sealed record AudioMedia(string Url) : MediaItem
{
    /// <inheritdoc />
    public override string Type => "audio";
}

/// <summary>Text spoken by SignalWire's text-to-speech engine.</summary>
/// <param name="Text">The text to speak; must not be empty.</param>
/// <param name="Language">BCP-47 language (for example <c>en-US</c>); overrides the play's default.</param>
/// <param name="Gender">Voice gender; overrides the play's default.</param>
/// <param name="Voice">Voice name (letters, digits, <c>.</c> and <c>-</c>); overrides the play's default.</param>
public sealed record TtsMedia(string Text, string? Language = null, TtsGender? Gender = null, string? Voice = null) : MediaItem
{
    /// <inheritdoc />
    public override string Type => "tts";
}

/// <summary>A pause of a given length.</summary>
/// <param name="Duration">Length in seconds; finite and greater than zero.</param>
public sealed record SilenceMedia(double Duration) : MediaItem
{
    /// <inheritdoc />
    public override string Type => "silence";
}

/// <summary>A country's ringback tone.</summary>
/// <param name="Name">Ringtone name from <see cref="Media.RingtoneNames"/> (country code such as <c>us</c>, or <c>bong</c>).</param>
/// <param name="Duration">Length in seconds; without it the ringtone plays until stopped.</param>
public sealed record RingtoneMedia(string Name, double? Duration = null) : MediaItem
{
    /// <inheritdoc />
    public override string Type => "ringtone";
}
