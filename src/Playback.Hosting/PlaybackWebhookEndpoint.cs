using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
    /// signature, 400 for a malformed body, 503 while Playback is unavailable and once the application is stopping (also when the
    /// host disposes its services under a request in flight): never a 500. Bad input never gets a 5xx. Secure by default:
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
        var services = endpoints.ServiceProvider;
        var route = services.GetService<PlaybackWebhookRoute>()
            ?? throw new InvalidOperationException("Playback is not registered: call services.AddPlayback(...) before MapPlaybackWebhooks.");
        route.Path = pattern;

        // Resolved once, now: during shutdown the container may already be disposed when a request arrives, and resolving
        // anything from it then throws ObjectDisposedException (a 500). The handler touches the request's services only
        // inside its shutdown guard.
        var handler = new PlaybackWebhookHandler(
            services.GetService<IHostApplicationLifetime>(),
            services.GetRequiredService<IOptions<PlaybackOptions>>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Playback.Webhooks"));
        return endpoints.MapPost(pattern, (Delegate)handler.HandleAsync).DisableAntiforgery().WithName("PlaybackWebhooks");
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

    /// <summary>The body, or null when it is over <paramref name="limit"/> bytes.</summary>
    internal static async Task<byte[]?> ReadLimitedAsync(HttpContext context, long limit)
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
