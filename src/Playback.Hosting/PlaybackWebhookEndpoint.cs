using System.Buffers;
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
    /// webhook to its call's actor with <see cref="PlaybackManager.HandOffWebhook"/>, answering without waiting for the actor
    /// (with a store, and behind Playback.Cluster's gateway, it waits, with <see cref="PlaybackManager.HandleWebhookAsync"/>,
    /// for the actor: with a store, until the webhook's change is written): 204 when handed off, accepted or ignored, 403 for a missing or wrong
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
        // anything from it then throws ObjectDisposedException (a 500). The handler touches the container (the application's,
        // never the request's) only inside its shutdown guard.
        var handler = new PlaybackWebhookHandler(
            services,
            services.GetService<IHostApplicationLifetime>(),
            services.GetRequiredService<IOptions<PlaybackOptions>>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Playback.Webhooks"));
        return endpoints.MapPost(pattern, (Delegate)handler.HandleAsync).DisableAntiforgery().WithName("PlaybackWebhooks");
    }

    /// <summary>The URL SignalWire signed: the configured public base URL (or, without one, the request's own scheme and host) + path + query.</summary>
    internal static string SignedUrl(HttpRequest request, PlaybackOptions options) => SignedUrl(request, PublicPrefix(options));

    /// <summary>
    /// The URL SignalWire signed, given <see cref="PublicPrefix"/> (computed once per options): the public base URL (this
    /// app's root as SignalWire reaches it, path base included) + the endpoint's path + query, the very URL of the default
    /// <c>status_url</c>; without one, the request's own scheme, host, path base and path.
    /// </summary>
    internal static string SignedUrl(HttpRequest request, string? publicPrefix)
    {
        var query = request.QueryString.ToUriComponent();
        return publicPrefix is not null
            ? string.Concat(publicPrefix, request.Path.ToUriComponent(), query)
            : string.Concat(request.Scheme, "://", request.Host.ToUriComponent(), request.PathBase.Add(request.Path).ToUriComponent() + query);
    }

    /// <summary>The scheme, authority and base path of <see cref="PlaybackOptions.PublicBaseUrl"/> (no trailing slash), or null without one.</summary>
    internal static string? PublicPrefix(PlaybackOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.PublicBaseUrl))
        {
            return null;
        }

        var publicBase = new Uri(options.PublicBaseUrl.Trim());
        return publicBase.GetLeftPart(UriPartial.Authority) + publicBase.AbsolutePath.TrimEnd('/');
    }

    /// <summary>
    /// The body in a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the caller returns it), or null when it is over
    /// <paramref name="limit"/> bytes.
    /// </summary>
    internal static async ValueTask<RentedBody?> ReadLimitedAsync(HttpContext context, long limit)
    {
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            // Kestrel counts a chunked body's framing (chunk sizes, CRLFs) against its limit: give it room for the framing
            // of a body of exactly `limit` bytes. The loop below enforces the limit on the body itself.
            feature.MaxRequestBodySize = limit > (long.MaxValue - 65536) / 2 ? null : (2 * limit) + 65536;
        }

        var reader = context.Request.BodyReader;
        var most = Math.Max(1, Math.Min(limit, 1 << 20));
        var body = new RentedBody(ArrayPool<byte>.Shared.Rent((int)Math.Clamp(context.Request.ContentLength ?? 4096, Math.Min(256, most), most)));
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
                var buffer = read.Buffer;
                if (body.Length + buffer.Length > limit)
                {
                    reader.AdvanceTo(buffer.End);
                    body.Dispose();
                    return null;
                }

                body.Append(buffer);
                reader.AdvanceTo(buffer.End);
                if (read.IsCompleted)
                {
                    return body;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            body.Dispose();
            return null;
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }
}

/// <summary>A request body in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; disposing returns the buffer.</summary>
internal sealed class RentedBody(byte[] buffer) : IDisposable
{
    private byte[]? _buffer = buffer;

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public void Append(in ReadOnlySequence<byte> data)
    {
        var needed = Length + (int)data.Length;
        if (needed > _buffer!.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(needed);
            _buffer.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        data.CopyTo(_buffer.AsSpan(Length));
        Length = needed;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
