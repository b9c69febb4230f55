namespace Playback;

/// <summary>A call actor asks its parent to stop it (idle, or the call is gone; <paramref name="Unreadable"/>: its store could not be read).</summary>
internal sealed record Passivate(string CallId, bool Unreadable = false) : IWithCallId;

/// <summary>The parent's go-ahead: stop if still idle, otherwise cancel the passivation.</summary>
internal sealed class StopIfIdle
{
    public static readonly StopIfIdle Instance = new();

    private StopIfIdle()
    {
    }
}

/// <summary>A call actor that became busy again between <see cref="Passivate"/> and <see cref="StopIfIdle"/>.</summary>
internal sealed record PassivationCancelled(string CallId) : IWithCallId;

/// <summary>The idle timer fired.</summary>
internal sealed class IdleTick
{
    public static readonly IdleTick Instance = new();

    private IdleTick()
    {
    }
}
