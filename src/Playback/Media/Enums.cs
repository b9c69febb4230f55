namespace Playback;

/// <summary>Which leg of the call hears a playback.</summary>
public enum PlayDirection
{
    /// <summary>Heard by the caller leg (<c>listen</c>, the API default).</summary>
    Listen,

    /// <summary>Heard by the far party (<c>speak</c>).</summary>
    Speak,

    /// <summary>Heard by both (<c>both</c>).</summary>
    Both,
}

/// <summary>Text-to-speech voice gender.</summary>
public enum TtsGender
{
    /// <summary><c>male</c>.</summary>
    Male,

    /// <summary><c>female</c> (the API default).</summary>
    Female,
}

/// <summary>What a new play does when the call already has an active or queued playback.</summary>
public enum PlayConflict
{
    /// <summary>Queue it: it starts when the playbacks before it have ended (the default).</summary>
    Enqueue,

    /// <summary>Stop the current playback (and drop queued ones), then start this one.</summary>
    Replace,

    /// <summary>Fail the play with a <see cref="PlaybackStateException"/>.</summary>
    Reject,
}
