namespace Playback.Emulator;

/// <summary>A play as the emulator sees it.</summary>
/// <param name="CallId">The call.</param>
/// <param name="ControlId">The play.</param>
/// <param name="State"><c>playing</c>, <c>paused</c>, <c>finished</c> or <c>error</c>.</param>
/// <param name="PositionSeconds">Media seconds played so far (all loops).</param>
/// <param name="Volume">Volume in dB.</param>
/// <param name="StatusUrl">Where its webhooks go.</param>
public sealed record EmulatedPlayState(string CallId, string ControlId, string State, double PositionSeconds, double Volume, string? StatusUrl);

/// <summary>A call and its plays. Every change happens under <see cref="Gate"/>.</summary>
internal sealed class EmulatedCall(string id, string? from, string? to, string? statusUrl)
{
    public object Gate { get; } = new();

    public string Id { get; } = id;

    public string From { get; } = from ?? "+15550000001";

    public string To { get; } = to ?? "+15550000002";

    public string? StatusUrl { get; } = statusUrl;

    public string? LastPlayStatusUrl { get; set; }

    public bool Ended { get; set; }

    public Dictionary<string, EmulatedPlay> Plays { get; } = new(StringComparer.Ordinal);

    public int InFlight;
}

/// <summary>One play's timeline: media position, state and the timer of its next end.</summary>
internal sealed class EmulatedPlay(string callId, string controlId, string? statusUrl, double volume, double? endsAt, bool endsInError)
{
    public string CallId { get; } = callId;

    public string ControlId { get; } = controlId;

    public string? StatusUrl { get; } = statusUrl;

    public double Volume { get; set; } = volume;

    /// <summary>Media seconds at which the play ends; null = never (loop forever, or a ringtone without duration).</summary>
    public double? EndsAt { get; } = endsAt;

    /// <summary>Whether reaching <see cref="EndsAt"/> is an error (unplayable media) rather than the end.</summary>
    public bool EndsInError { get; } = endsInError;

    public string State { get; set; } = "playing";

    /// <summary>Media seconds played before <see cref="ResumedAt"/>.</summary>
    public double Position { get; set; }

    public DateTimeOffset? ResumedAt { get; set; }

    public ITimer? Timer { get; set; }

    public bool IsActive => State is "playing" or "paused";

    public double PositionAt(DateTimeOffset now, double speed) =>
        Position + (State == "playing" && ResumedAt is { } t ? Math.Max(0, (now - t).TotalSeconds) * speed : 0);

    public EmulatedPlayState Snapshot(DateTimeOffset now, double speed) => new(CallId, ControlId, State, PositionAt(now, speed), Volume, StatusUrl);
}
