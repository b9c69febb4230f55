using System.Net;

namespace Playback;

/// <summary>One item of a 422 answer's <c>errors[]</c>.</summary>
/// <param name="Type">The error type, e.g. <c>validation_error</c>.</param>
/// <param name="Code">The server's error code.</param>
/// <param name="Message">The server's message.</param>
/// <param name="Attribute">The request field it concerns.</param>
public sealed record CallingApiError(string? Type, string? Code, string? Message, string? Attribute);

/// <summary>
/// A Calling API command that failed: an error status from the server, or a transport failure or timeout (then
/// <see cref="StatusCode"/> is null). Never contains the API token.
/// </summary>
public class CallingApiException : PlaybackException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="command">The command name, e.g. <c>calling.play</c>.</param>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="statusCode">The HTTP status; null for transport failures and timeouts.</param>
    /// <param name="serverMessage">The server's <c>error</c> text or joined <c>errors[]</c> messages.</param>
    /// <param name="errors">The server's <c>errors[]</c>.</param>
    /// <param name="requestId">The server's request id header, for support.</param>
    /// <param name="isTransient">Whether retrying the same request may succeed.</param>
    /// <param name="retryAfter">The server's <c>Retry-After</c>, when given.</param>
    /// <param name="inner">The transport error.</param>
    public CallingApiException(
        string command,
        string callId,
        string? controlId,
        int? statusCode,
        string? serverMessage,
        IReadOnlyList<CallingApiError>? errors,
        string? requestId,
        bool isTransient,
        TimeSpan? retryAfter = null,
        Exception? inner = null)
        : base(Describe(command, callId, controlId, statusCode, serverMessage, requestId), callId, controlId, inner)
    {
        Command = command;
        StatusCode = statusCode;
        ServerMessage = serverMessage;
        Errors = errors ?? [];
        RequestId = requestId;
        IsTransient = isTransient;
        RetryAfter = retryAfter;
    }

    /// <summary>The command that failed, e.g. <c>calling.play.pause</c>.</summary>
    public string Command { get; }

    /// <summary>The HTTP status code; null when no response arrived (transport failure or timeout).</summary>
    public int? StatusCode { get; }

    /// <summary>The server's error text (<c>error</c>, or the <c>errors[]</c> messages joined), or the transport failure's description.</summary>
    public string? ServerMessage { get; }

    /// <summary>The server's <c>errors[]</c> (empty when it sent none).</summary>
    public IReadOnlyList<CallingApiError> Errors { get; }

    /// <summary>The request id the server returned (<c>x-request-id</c>, <c>x-signalwire-request-id</c> or <c>request-id</c>).</summary>
    public string? RequestId { get; }

    /// <summary>True for 429, 500, 502, 503, 504, timeouts and connection failures: the same request may succeed later. False for 400, 401, 403, 404 and 422.</summary>
    public bool IsTransient { get; }

    /// <summary>How long the server asked the client to wait (<c>Retry-After</c>), when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Whether a status code is worth retrying.</summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <returns>True for 408, 429, 500, 502, 503 and 504.</returns>
    public static bool IsTransientStatus(int statusCode) => statusCode is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>Whether an answer with this status leaves the command's outcome unknown (the server may have acted before it failed).</summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <returns>True for every 5xx.</returns>
    public static bool IsAmbiguousStatus(int statusCode) => statusCode >= 500;

    /// <summary>Whether this failure names a request field in its structure (<c>errors[].attribute</c>), never its wording.</summary>
    /// <param name="attribute">The field, e.g. <c>control_id</c>.</param>
    /// <returns>True when a 4xx answer's <c>errors[]</c> has an item whose attribute is <paramref name="attribute"/>.</returns>
    public bool NamesAttribute(string attribute) =>
        StatusCode is >= 400 and < 500 && Errors.Any(e => string.Equals(e.Attribute, attribute, StringComparison.OrdinalIgnoreCase));

    /// <summary>The same failure, marked as possibly applied by an earlier attempt.</summary>
    internal CallingApiException AsMaybeApplied() => MayHaveBeenApplied
        ? this
        : this is CallGoneException
            ? new CallGoneException(Command, CallId!, ControlId, StatusCode, ServerMessage, RequestId) { MayHaveBeenApplied = true }
            : new CallingApiException(Command, CallId!, ControlId, StatusCode, ServerMessage, Errors, RequestId, IsTransient, RetryAfter, InnerException) { MayHaveBeenApplied = true };

    private static string Describe(string command, string callId, string? controlId, int? statusCode, string? serverMessage, string? requestId)
    {
        var target = controlId is null ? $"call {callId}" : $"call {callId}, control id {controlId}";
        var status = statusCode is { } s ? $"{s} {(HttpStatusCode)s}" : "no response";
        var message = string.IsNullOrEmpty(serverMessage) ? string.Empty : $": {serverMessage}";
        var request = requestId is null ? string.Empty : $" (request id {requestId})";
        return $"{command} for {target} failed with {status}{message}{request}.";
    }
}

/// <summary>The call is unknown to the API or has ended (404, or a <c>calling.call.state</c> <c>ended</c> webhook). Every playback of the call ends as <see cref="PlaybackState.Failed"/>; never retried.</summary>
public sealed class CallGoneException : CallingApiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="command">The command name.</param>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="statusCode">404, or null when Playback learnt of the end from a webhook.</param>
    /// <param name="serverMessage">The server's text, or why the call is known to be gone.</param>
    /// <param name="requestId">The server's request id.</param>
    public CallGoneException(string command, string callId, string? controlId, int? statusCode, string? serverMessage, string? requestId)
        : base(command, callId, controlId, statusCode, serverMessage, null, requestId, isTransient: false)
    {
    }
}
