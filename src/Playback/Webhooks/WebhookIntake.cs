namespace Playback;

/// <summary>
/// The first half of a webhook's way in, before any actor: the signature check under the settings' policy, then parsing.
/// What comes out is either a message for the call's actor or the result to answer at once (rejected or ignored).
/// </summary>
internal static class WebhookIntake
{
    /// <summary>Checks and parses one webhook.</summary>
    /// <param name="settings">The policy (<see cref="PlaybackSettings.EffectiveSignaturePolicy"/>) and the signing key.</param>
    /// <param name="requestUrl">The full public URL SignalWire called.</param>
    /// <param name="headers">The request headers (names compared case-insensitively).</param>
    /// <param name="body">The raw body.</param>
    /// <returns>The message to route, or the result to answer without routing.</returns>
    public static (IWithCallId? Message, WebhookResult? Result) Read(PlaybackSettings settings, string? requestUrl, IEnumerable<KeyValuePair<string, string>>? headers, ReadOnlyMemory<byte> body)
    {
        if (requestUrl is null || headers is null)
        {
            return (null, WebhookResult.Rejected("the request URL and headers are required"));
        }

        if (CheckSignature(settings, requestUrl, headers, body.Span) is { } rejected)
        {
            return (null, rejected);
        }

        return WebhookParser.Parse(body);
    }

    /// <summary>Null when the signature is valid, or absent and allowed by the policy; the rejection otherwise.</summary>
    private static WebhookResult? CheckSignature(PlaybackSettings settings, string requestUrl, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body)
    {
        var policy = settings.EffectiveSignaturePolicy;
        if (policy == WebhookSignaturePolicy.Off)
        {
            return null;
        }

        string? sha256 = null, sha1 = null;
        foreach (var (name, value) in headers)
        {
            if (name.Equals(WebhookSignature.Sha256Header, StringComparison.OrdinalIgnoreCase))
            {
                sha256 = value;
            }
            else if (name.Equals(WebhookSignature.Sha1Header, StringComparison.OrdinalIgnoreCase))
            {
                sha1 = value;
            }
        }

        var present = !string.IsNullOrWhiteSpace(sha256) || !string.IsNullOrWhiteSpace(sha1);
        if (!present)
        {
            return policy == WebhookSignaturePolicy.Required ? WebhookResult.Rejected("signature missing", WebhookRejection.Signature) : null;
        }

        return WebhookSignature.IsValid(settings.SigningKey!, requestUrl, body, sha256, sha1)
            ? null
            : WebhookResult.Rejected("signature invalid", WebhookRejection.Signature);
    }
}
