namespace Playback;

/// <summary>What happened to a webhook.</summary>
public enum WebhookStatus
{
    /// <summary>Valid and routed to a known playback or call (including harmless duplicates and stale events).</summary>
    Accepted,

    /// <summary>Refused: bad or missing signature under the policy, malformed JSON or missing fields. Nothing changed.</summary>
    Rejected,

    /// <summary>Valid but about nothing Playback tracks: an unknown call or control id, or an event type it does not use. Nothing changed.</summary>
    Ignored,
}

/// <summary>The result of <see cref="PlaybackManager.HandleWebhookAsync"/>.</summary>
/// <param name="Status">Accepted, rejected or ignored.</param>
/// <param name="Reason">Why, for rejected and ignored webhooks, and for accepted ones that changed nothing.</param>
public sealed record WebhookResult(WebhookStatus Status, string? Reason = null)
{
    internal static WebhookResult Accepted(string? reason = null) => new(WebhookStatus.Accepted, reason);

    internal static WebhookResult Rejected(string reason) => new(WebhookStatus.Rejected, reason);

    internal static WebhookResult Ignored(string reason) => new(WebhookStatus.Ignored, reason);
}
