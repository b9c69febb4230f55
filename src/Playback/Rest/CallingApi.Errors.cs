using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Flurl.Http;

namespace Playback;

/// <summary>How the Calling API's refusals and failures are read: status, error body, request id, <c>Retry-After</c>.</summary>
internal sealed partial class CallingApi
{
    private static readonly string[] RequestIdHeaders = ["x-request-id", "x-signalwire-request-id", "request-id"];

    /// <summary>The most of an error body that is read: enough for any error list, never a stream that does not end.</summary>
    private const int MaxErrorBodyBytes = 64 * 1024;

    /// <summary>
    /// The failure an error answer (4xx, 5xx) means. Its body is read within what is left of the attempt's timeout (the
    /// HTTP client's timeout ends with the headers), at most <see cref="MaxErrorBodyBytes"/>, and best effort: a body that
    /// stalls, breaks off or cannot be decoded leaves only the status, which says what happened. The response is disposed
    /// whatever happens, so its connection goes back to the pool.
    /// </summary>
    private async Task<CallingApiException> ToApiExceptionAsync(FlurlHttpException e, string command, string callId, string controlId, long started, CancellationToken cancellationToken)
    {
        var status = e.StatusCode!.Value;
        var headers = e.Call.Response?.ResponseMessage;
        string? text = null;
        try
        {
            if (headers?.Content is { } content)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var left = _requestTimeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                text = await ReadCappedAsync(content, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception readError) when (readError is not OutOfMemoryException)
        {
            // The body could not be read in time, or at all; the status still says what happened.
        }
        finally
        {
            headers?.Dispose(); // its headers stay readable
        }

        var (message, errors) = ParseErrorBody(text);
        var requestId = headers is null ? null : FindRequestId(headers);
        if (status == 404 && command == Commands.Play)
        {
            // A 404 on calling.play can only mean the call: the play is new. On a control command it is ambiguous (the call,
            // or only that control id, is unknown: servers differ), so it stays a plain 404 for the state machine to judge.
            return new CallGoneException(command, callId, controlId, status, message ?? "Not Found", requestId);
        }

        return new CallingApiException(command, callId, controlId, status, message ?? (status == 404 ? "Not Found" : null), errors, requestId,
            CallingApiException.IsTransientStatus(status), headers is null ? null : ReadRetryAfter(headers.Headers.RetryAfter))
        {
            MayHaveBeenApplied = CallingApiException.IsAmbiguousStatus(status),
        };
    }

    /// <summary>
    /// Why an answer Flurl let through (below 400) is not a success, or null when it is one: only a 2xx answer from the
    /// calls endpoint itself is. A 1xx or 3xx is a final refusal that was not applied (the request went nowhere: redirects
    /// are never followed). A client that follows redirects itself (only a client given to this class, never its own) is
    /// caught by the answer's request, which then names another URL or method; a redirect that kept the POST and its body
    /// (307, 308) may have been applied there. Playback's own client never follows one, so its answers skip that check.
    /// </summary>
    private (string Reason, bool MayHaveBeenApplied)? Unsuccessful(IFlurlResponse response)
    {
        var status = response.StatusCode;
        if (status is < 200 or >= 300)
        {
            return ($"unexpected answer {status}: only a 2xx means success, and redirects are not followed", false);
        }

        return !_ownsClient && response.ResponseMessage.RequestMessage is { } sent && (sent.Method != HttpMethod.Post || sent.RequestUri != _callsUri)
            ? ($"the answer ({status}) came from a redirect to another address, not from the calls endpoint", sent.Method == HttpMethod.Post)
            : null;
    }

    private static async Task<string> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxErrorBodyBytes);
        try
        {
            var length = 0;
            var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                int read;
                while (length < MaxErrorBodyBytes && (read = await stream.ReadAsync(buffer.AsMemory(length, MaxErrorBodyBytes - length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }
            }

            // The declared charset (UTF-8 when none or unknown), without a byte-order mark, as HttpContent reads it.
            var encoding = Encoding.UTF8;
            try
            {
                if (content.Headers.ContentType?.CharSet is { Length: > 0 } charset)
                {
                    encoding = Encoding.GetEncoding(charset.Trim('"'));
                }
            }
            catch (ArgumentException)
            {
                // An unknown charset: read as UTF-8.
            }

            var skip = buffer.AsSpan(0, length).StartsWith(encoding.Preamble) ? encoding.Preamble.Length : 0;
            return encoding.GetString(buffer, skip, length - skip);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether a transport failure happened before the request could leave (no connection was made), so the server cannot have acted on it.</summary>
    internal static bool NeverSent(Exception? error) =>
        error is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError or HttpRequestError.SecureConnectionError };

    internal static (string? Message, IReadOnlyList<CallingApiError> Errors) ParseErrorBody(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, []);
        }

        try
        {
            var body = JsonSerializer.Deserialize(text, WireJsonContext.Default.ErrorBody);
            var errors = body?.Errors?.Select(x => new CallingApiError(x.Type, x.Code, x.Message, x.Attribute)).ToList() ?? [];
            var message = body?.Error ?? (errors.Count > 0
                ? string.Join("; ", errors.Select(x => x.Attribute is null ? x.Message : $"{x.Attribute}: {x.Message}"))
                : null);
            return (message, errors);
        }
        catch (JsonException)
        {
            var snippet = text.Length > 200 ? text[..200] + "…" : text;
            return (snippet.Trim(), []);
        }
    }

    internal static TimeSpan? ReadRetryAfter(RetryConditionHeaderValue? value, DateTimeOffset? now = null)
    {
        if (value?.Delta is { } delta)
        {
            return delta;
        }

        if (value?.Date is { } date)
        {
            var wait = date - (now ?? DateTimeOffset.UtcNow);
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static string? FindRequestId(HttpResponseMessage response)
    {
        foreach (var name in RequestIdHeaders)
        {
            if (response.Headers.TryGetValues(name, out var values))
            {
                return values.FirstOrDefault();
            }
        }

        return null;
    }
}
