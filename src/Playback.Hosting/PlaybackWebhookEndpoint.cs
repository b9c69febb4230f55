using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Playback.Hosting;

/// <summary>The ASP.NET Core endpoint SignalWire posts status webhooks to.</summary>
public static class PlaybackWebhookEndpoint
{
    /// <summary>
    /// Maps <c>POST {pattern}</c>: reads the raw body (413 over <see cref="PlaybackOptions.MaxWebhookBodyBytes"/>), checks the
    /// signature against <see cref="PlaybackOptions.PublicBaseUrl"/> + path + query (never forwarded headers), and hands the
    /// webhook to <see cref="PlaybackManager.HandleWebhookAsync"/>: 204 when accepted or ignored, 403 for a missing or wrong
    /// signature, 400 for a malformed body, 503 while Playback is unavailable. Bad input never gets a 5xx. Secure by default:
    /// with the endpoint mapped, the host does not start (<see cref="Microsoft.Extensions.Options.OptionsValidationException"/>)
    /// unless <c>Playback:SigningKey</c> is set or <c>Playback:SignaturePolicy</c> is explicitly <c>Off</c>.
    /// </summary>
    /// <param name="endpoints">The route builder (the <c>WebApplication</c>).</param>
    /// <param name="pattern">The route, by default <c>/signalwire/events</c>.</param>
    /// <returns>The endpoint's convention builder.</returns>
    public static RouteHandlerBuilder MapPlaybackWebhooks(this IEndpointRouteBuilder endpoints, string pattern = "/signalwire/events")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var route = endpoints.ServiceProvider.GetService<PlaybackWebhookRoute>()
            ?? throw new InvalidOperationException("Playback is not registered: call services.AddPlayback(...) before MapPlaybackWebhooks.");
        route.Path = pattern;
        return endpoints.MapPost(pattern, HandleAsync).DisableAntiforgery().WithName("PlaybackWebhooks");
    }

    private static async Task<IResult> HandleAsync(HttpContext context, PlaybackManager playback, IOptions<PlaybackOptions> options, ILoggerFactory loggers)
    {
        var limit = options.Value.MaxWebhookBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var body = await ReadLimitedAsync(context, limit).ConfigureAwait(false);
        if (body is null)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var url = SignedUrl(context.Request, options.Value);
        var headers = context.Request.Headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString()));
        var result = await playback.HandleWebhookAsync(url, headers, body, context.RequestAborted).ConfigureAwait(false);
        if (result.Status == WebhookStatus.Rejected)
        {
            loggers.CreateLogger("Playback.Webhooks").LogWarning("Webhook rejected ({Rejection}): {Reason}", result.Rejection, result.Reason);
        }

        return result switch
        {
            { Status: WebhookStatus.Rejected, Rejection: WebhookRejection.Signature } => Results.StatusCode(StatusCodes.Status403Forbidden),
            { Status: WebhookStatus.Rejected, Rejection: WebhookRejection.Unavailable } => Results.StatusCode(StatusCodes.Status503ServiceUnavailable),
            { Status: WebhookStatus.Rejected } => Results.BadRequest(new { error = result.Reason }),
            _ => Results.NoContent(),
        };
    }

    /// <summary>The URL SignalWire signed: the configured public base URL (or, without one, the request's own scheme and host) + path + query.</summary>
    internal static string SignedUrl(HttpRequest request, PlaybackOptions options)
    {
        var pathAndQuery = request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        if (!string.IsNullOrWhiteSpace(options.PublicBaseUrl))
        {
            var publicBase = new Uri(options.PublicBaseUrl.Trim());
            return publicBase.GetLeftPart(UriPartial.Authority) + publicBase.AbsolutePath.TrimEnd('/') + pathAndQuery;
        }

        return request.Scheme + "://" + request.Host.ToUriComponent() + pathAndQuery;
    }

    private static async Task<byte[]?> ReadLimitedAsync(HttpContext context, long limit)
    {
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            // Kestrel counts a chunked body's framing (chunk sizes, CRLFs) against its limit: give it room for the framing
            // of a body of exactly `limit` bytes. The loop below enforces the limit on the body itself.
            feature.MaxRequestBodySize = limit > (long.MaxValue - 65536) / 2 ? null : (2 * limit) + 65536;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return buffer.ToArray();
    }
}
