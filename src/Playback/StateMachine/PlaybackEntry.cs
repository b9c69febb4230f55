using System.Collections.Immutable;

namespace Playback;

/// <summary>One playback as the call's state machine knows it.</summary>
internal sealed record PlaybackEntry(string ControlId, PlaybackState State, double Volume, string? Reason, ImmutableArray<MediaItem> Media, PlayOptions Options)
{
    /// <summary>A stop for this playback has been sent (in flight or acknowledged): a <c>finished</c> webhook then means <see cref="PlaybackState.Stopped"/>.</summary>
    public bool StopSent { get; init; }

    /// <summary>When the last command for this playback was acknowledged (actor clock).</summary>
    public DateTimeOffset? LastAckAt { get; init; }

    /// <summary>A webhook for this control id has arrived: proof that its play reached the server.</summary>
    public bool Heard { get; init; }

    /// <summary>A stop was sent (or is to be sent again) to settle a play whose outcome was unknown: a <c>finished</c> webhook then means <see cref="PlaybackState.Failed"/> (Playback stopped it), unless you stopped it too.</summary>
    public bool Settling { get; init; }

    /// <summary>
    /// Owed a stop, sent again later until the server settles it: a live play whose outcome is unknown and whose settling
    /// stop failed too (tracked as playing), or a play reported failed that a webhook then showed running (it reached the
    /// server after the stop that found nothing to stop).
    /// </summary>
    public bool Unconfirmed { get; init; }

    /// <summary>A stop is owed and not yet sent again (see <see cref="Unconfirmed"/>): a live play no webhook has confirmed, or an ended one.</summary>
    public bool OwesStop => Unconfirmed && (State.IsTerminal() || !Heard);

    /// <summary>The newest server timestamp of a webhook applied to this playback.</summary>
    public DateTimeOffset? LastEventAt { get; init; }

    /// <summary>Whether the watchdog applies: webhooks are expected (a status URL) and the playback ends by itself (finite loop, no endless ringtone).</summary>
    public bool Watchable => Options.StatusUrl is not null && Options.Loop != 0 && !Media.Any(m => m is RingtoneMedia { Duration: null });
}
