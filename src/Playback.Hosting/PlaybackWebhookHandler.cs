using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Playback.Hosting;

/// <summary>
/// The request handler behind <see cref="PlaybackWebhookEndpoint.MapPlaybackWebhooks"/>. It writes its answers itself
/// (no <c>IResult</c>: executing one resolves a logger from the request's services) and holds what it needs from the
/// container since mapping, so that a webhook arriving while the host shuts down gets 503, never 500.
/// </summary>
internal sealed class PlaybackWebhookHandler(IServiceProvider services, IHostApplicationLifetime? lifetime, IOptions<PlaybackOptions> options, ILogger log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lazy<string?> _publicPrefix = new(() => PlaybackWebhookEndpoint.PublicPrefix(options.Value));

    public async Task HandleAsync(HttpContext context)
    {
        // The application is stopping: Playback is about to be disposed, so the webhook must go to another instance or come
        // again later. 503 is the answer SignalWire retries.
        if (lifetime?.ApplicationStopping.IsCancellationRequested == true)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        try
        {
            // From the application's container, not the request's: touching RequestServices creates a DI scope per request
            // (about 5 % of the endpoint's throughput in the benchmark). A disposed container throws ObjectDisposedException (503).
            var playback = services.GetService<PlaybackManager>();
            if (playback is not { IsRunning: true })
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            await HandleAsync(context, playback).ConfigureAwait(false);
        }
        catch (ObjectDisposedException) when (!context.Response.HasStarted)
        {
            // Only the container, the manager and its ActorSystem are disposable on this path, and they are disposed only at
            // shutdown: the host went down while this request was on its way (seen when ApplicationStopping was not signalled,
            // e.g. a host disposed without StopAsync).
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }
    }

    private async Task HandleAsync(HttpContext context, PlaybackManager playback)
    {
        var limit = options.Value.MaxWebhookBodyBytes;
        using var body = context.Request.ContentLength > limit ? null : await PlaybackWebhookEndpoint.ReadLimitedAsync(context, limit).ConfigureAwait(false);
        if (body is null)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var url = PlaybackWebhookEndpoint.SignedUrl(context.Request, _publicPrefix.Value);
        var headers = SignatureHeaders(context.Request.Headers);

        // With the call actors in this process, the webhook is answered once it is checked, parsed and handed to its call's
        // actor (which applies webhooks in the order they were handed off). With a store, only once its change is written
        // (a 2xx is never sent again: a webhook lost in a crash would leave its playback live after the restart). Behind the
        // cluster gateway, only the entity's answer tells that it arrived: wait for it, so that a webhook lost with a node
        // gets 503 and is sent again.
        var result = playback.HandsOffLocally && playback.Settings.Persistence is null
            ? playback.HandOffWebhook(url, headers, body.Memory)
            : await playback.HandleWebhookAsync(url, headers, body.Memory, context.RequestAborted).ConfigureAwait(false);
        if (result.Status == WebhookStatus.Rejected)
        {
            log.LogWarning("Webhook rejected ({Rejection}): {Reason}", result.Rejection, result.Reason);
        }

        switch (result)
        {
            case { Status: WebhookStatus.Rejected, Rejection: WebhookRejection.Signature }:
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                break;
            case { Status: WebhookStatus.Rejected, Rejection: WebhookRejection.Unavailable }:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                break;
            case { Status: WebhookStatus.Rejected }:
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsJsonAsync(new { error = result.Reason }, Json, context.RequestAborted).ConfigureAwait(false);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
        }
    }

    /// <summary>The signature headers, the only ones the check reads (the names are looked up case-insensitively).</summary>
    private static KeyValuePair<string, string>[] SignatureHeaders(IHeaderDictionary headers)
    {
        var sha256 = headers[WebhookSignature.Sha256Header];
        var sha1 = headers[WebhookSignature.Sha1Header];
        return (sha256.Count, sha1.Count) switch
        {
            (0, 0) => [],
            (_, 0) => [new(WebhookSignature.Sha256Header, sha256.ToString())],
            (0, _) => [new(WebhookSignature.Sha1Header, sha1.ToString())],
            _ => [new(WebhookSignature.Sha256Header, sha256.ToString()), new(WebhookSignature.Sha1Header, sha1.ToString())],
        };
    }
}
