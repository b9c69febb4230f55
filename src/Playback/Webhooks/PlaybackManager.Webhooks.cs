using Akka.Actor;

namespace Playback;

/// <summary>Webhook intake: checked and parsed by <see cref="WebhookIntake"/>, then routed to the call's actor.</summary>
public sealed partial class PlaybackManager
{
    /// <summary>
    /// Handles a status webhook (framework-agnostic): checks the signature per <see cref="PlaybackSettings.EffectiveSignaturePolicy"/>
    /// (under <see cref="WebhookSignaturePolicy.Off"/>, the default without a signing key, nothing is checked and every webhook is trusted),
    /// parses <c>calling.call.play</c> / <c>calling.call.state</c> (enveloped or bare) and routes it to the call's actor.
    /// Never throws for bad input.
    /// </summary>
    /// <param name="requestUrl">The full public URL SignalWire called, query included (not rebuilt from forwarded headers).</param>
    /// <param name="headers">The request headers (names compared case-insensitively).</param>
    /// <param name="body">The raw body bytes.</param>
    /// <param name="cancellationToken">Stops waiting for the actor.</param>
    /// <returns>Accepted, Rejected (with the reason; nothing changed) or Ignored (unknown call or control id).</returns>
    public async Task<WebhookResult> HandleWebhookAsync(string requestUrl, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        using var scope = Telemetry.StartWebhook();
        var result = await RouteWebhookAsync(requestUrl, headers, body, scope, cancellationToken).ConfigureAwait(false);
        _counters.Webhook(result.Status);
        Telemetry.EndWebhook(scope, result);
        return result;
    }

    private async Task<WebhookResult> RouteWebhookAsync(string requestUrl, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body, WebhookScope scope, CancellationToken cancellationToken)
    {
        var (message, early) = WebhookIntake.Read(Settings, requestUrl, headers, body);
        if (early is not null)
        {
            return early;
        }

        if (Volatile.Read(ref _disposed) == 1)
        {
            return WebhookResult.Rejected("Playback is shutting down", WebhookRejection.Unavailable);
        }

        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token) : null;
        try
        {
            return await _registry.Ask<WebhookResult>(scope.Attach(message!), Settings.AskTimeout, linked?.Token ?? _shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is OperationCanceledException or AskTimeoutException)
        {
            return WebhookResult.Rejected(_shutdown.IsCancellationRequested ? "Playback is shutting down" : "the call's actor did not answer in time", WebhookRejection.Unavailable);
        }
    }
}
