using Akka.Actor;
using Activity = System.Diagnostics.Activity;

namespace Playback;

/// <summary>Webhook intake: checked and parsed by <see cref="WebhookIntake"/>, then routed to the call's actor.</summary>
public sealed partial class PlaybackManager
{
    /// <summary>The answer of <see cref="HandOffWebhook"/> for a webhook on its way to its call's actor.</summary>
    private static readonly WebhookResult HandedOff = WebhookResult.Accepted("handed off to the call's actor");

    private ActorPath? _receiptPath;

    /// <summary>The path every <see cref="WebhookReceipt"/> of this manager shows (one temporary path, taken once).</summary>
    internal ActorPath ReceiptPath => _receiptPath ??= ReceiptProvider.TempPath();

    /// <summary>The provider of the manager's ActorSystem.</summary>
    internal IActorRefProvider ReceiptProvider => ((ExtendedActorSystem)_system).Provider;

    /// <summary>
    /// Whether <see cref="HandOffWebhook"/> hands webhooks to the call actors without waiting for them: true when they run in
    /// this process (the local call registry); false behind Playback.Cluster's gateway, where the call's entity can be on a
    /// node that is lost on the way, so that only its answer tells that the webhook arrived.
    /// </summary>
    internal bool HandsOffLocally => _replyPath is not null; // set exactly when the manager started its own call registry

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
        var scope = Telemetry.StartWebhook();
        var result = Intake(scope, requestUrl, headers, body, out var message)
            ?? await AskActorAsync(message!, scope, cancellationToken).ConfigureAwait(false);
        WebhookFinished(scope, result);
        return result;
    }

    /// <summary>
    /// Checks and parses a status webhook like <see cref="HandleWebhookAsync"/>, then hands it to the call's actor without
    /// waiting for it: what SignalWire needs is a quick 2xx, and the call's actor applies its webhooks in the order they were
    /// handed off. The outcome the actor decides (accepted, or ignored for an unknown call or control id) is counted in
    /// <see cref="Statistics"/> and the metrics once the actor has applied it. Behind Playback.Cluster's gateway the
    /// webhook is sent toward the call's entity the same way, without waiting.
    /// Never throws for bad input.
    /// </summary>
    /// <param name="requestUrl">The full public URL SignalWire called, query included (not rebuilt from forwarded headers).</param>
    /// <param name="headers">The request headers (names compared case-insensitively); only the signature headers are read.</param>
    /// <param name="body">The raw body bytes; not kept after the call returns.</param>
    /// <returns>
    /// Rejected (bad or missing signature under the policy, malformed body, or Playback shutting down: nothing changed),
    /// Ignored (an event type Playback does not use, or a play state it does not know), or Accepted: handed off to the call's actor.
    /// </returns>
    public WebhookResult HandOffWebhook(string requestUrl, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body)
    {
        var outer = Activity.Current;
        var scope = Telemetry.StartWebhook();
        try
        {
            if (Intake(scope, requestUrl, headers, body, out var message) is { } early)
            {
                WebhookFinished(scope, early);
                return early;
            }

            if (HandsOffLocally)
            {
                _routes!.Send((IWithCallId)message!, new WebhookReceipt(this, scope), _registry, inline: false); // returns at once: the actor runs elsewhere
            }
            else
            {
                _ = AskAndFinishAsync(message!, scope);
            }

            return HandedOff;
        }
        finally
        {
            if (scope.Activity is not null)
            {
                // The webhook's activity lives on until the actor has applied it; the caller goes on in its own.
                Activity.Current = outer;
            }
        }
    }

    /// <summary>Counts a finished webhook and ends its measurement.</summary>
    internal void WebhookFinished(WebhookScope scope, WebhookResult result)
    {
        _counters.Webhook(result.Status);
        Telemetry.EndWebhook(scope, result);
        scope.Dispose();
    }

    /// <summary>The result to answer at once (rejected, ignored, or Playback shutting down), or null with the message for the call's actor.</summary>
    private WebhookResult? Intake(WebhookScope scope, string requestUrl, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body, out object? message)
    {
        message = null;
        var (parsed, early) = WebhookIntake.Read(Settings, requestUrl, headers, body);
        if (early is not null)
        {
            return early;
        }

        if (Volatile.Read(ref _disposed) == 1 || _shutdown.IsCancellationRequested)
        {
            return WebhookResult.Rejected("Playback is shutting down", WebhookRejection.Unavailable);
        }

        message = scope.Attach(parsed!);
        return null;
    }

    private static readonly Func<object?, WebhookResult> UnexpectedWebhookReply =
        static message => WebhookResult.Rejected($"unexpected reply {message?.GetType().Name}", WebhookRejection.Unavailable);

    private async Task AskAndFinishAsync(object message, WebhookScope scope) =>
        WebhookFinished(scope, await AskActorAsync(message, scope, CancellationToken.None).ConfigureAwait(false));

    private async Task<WebhookResult> AskActorAsync(object message, WebhookScope scope, CancellationToken cancellationToken)
    {
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token) : null;
        try
        {
            return await AskCallAsync((IWithCallId)message, UnexpectedWebhookReply, linked?.Token ?? _shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            scope.Dispose();
            throw;
        }
        catch (Exception e) when (e is OperationCanceledException or AskTimeoutException)
        {
            return WebhookResult.Rejected(_shutdown.IsCancellationRequested ? "Playback is shutting down" : "the call's actor did not answer in time", WebhookRejection.Unavailable);
        }
    }
}
