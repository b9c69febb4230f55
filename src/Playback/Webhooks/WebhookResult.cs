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

/// <summary>Why a webhook was rejected.</summary>
public enum WebhookRejection
{
    /// <summary>The signature is missing (under <see cref="WebhookSignaturePolicy.Required"/>) or wrong. An endpoint answers 403.</summary>
    Signature,

    /// <summary>The body is not a valid webhook (malformed JSON, missing or mistyped fields). An endpoint answers 400.</summary>
    Malformed,

    /// <summary>Playback is shutting down or the call's actor did not answer in time. An endpoint answers 503 so that the sender retries.</summary>
    Unavailable,
}

/// <summary>The result of <see cref="PlaybackManager.HandleWebhookAsync"/>.</summary>
/// <param name="Status">Accepted, rejected or ignored.</param>
/// <param name="Reason">Why, for rejected and ignored webhooks, and for accepted ones that changed nothing.</param>
/// <param name="Rejection">For rejected webhooks: the kind of problem.</param>
public sealed record WebhookResult(WebhookStatus Status, string? Reason = null, WebhookRejection? Rejection = null)
{
    internal static WebhookResult Accepted(string? reason = null) => new(WebhookStatus.Accepted, reason);

    internal static WebhookResult Rejected(string reason, WebhookRejection rejection = WebhookRejection.Malformed) => new(WebhookStatus.Rejected, reason, rejection);

    internal static WebhookResult Ignored(string reason) => new(WebhookStatus.Ignored, reason);
}
