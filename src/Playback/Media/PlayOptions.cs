namespace Playback;

/// <summary>Optional settings of one play. Every member is optional; unset members take the API's defaults.</summary>
public sealed record PlayOptions
{
    /// <summary>The default options: nothing set.</summary>
    public static PlayOptions Default { get; } = new();

    /// <summary>The play's control id. When null, Playback generates a UUID v4 and keeps it for the life of the play (also across retries).</summary>
    /// <value>1 to 128 characters: letters, digits, <c>-</c>, <c>_</c>, <c>.</c> and <c>:</c>.</value>
    public string? ControlId { get; init; }

    /// <summary>Volume in dB, from -40 to 40 inclusive (API default 0).</summary>
    public double? Volume { get; init; }

    /// <summary>Which leg hears the playback (API default <see cref="PlayDirection.Listen"/>).</summary>
    public PlayDirection? Direction { get; init; }

    /// <summary>Total plays of the whole list; 0 plays forever until stopped (API default 1).</summary>
    public int? Loop { get; init; }

    /// <summary>Default BCP-47 language of the TTS items (API default <c>en-US</c>).</summary>
    public string? Language { get; init; }

    /// <summary>Default voice of the TTS items: letters, digits, <c>.</c> and <c>-</c>.</summary>
    public string? Voice { get; init; }

    /// <summary>Default gender of the TTS items (API default <see cref="TtsGender.Female"/>).</summary>
    public TtsGender? Gender { get; init; }

    /// <summary>Absolute http(s) URL that receives this play's status webhooks; falls back to <see cref="PlaybackSettings.DefaultStatusUrl"/>.</summary>
    public Uri? StatusUrl { get; init; }

    /// <summary>What happens when the call already has an active or queued playback.</summary>
    /// <value>The default is <see cref="PlayConflict.Enqueue"/>.</value>
    public PlayConflict WhenBusy { get; init; } = PlayConflict.Enqueue;
}
