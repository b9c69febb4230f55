using System.Diagnostics;
using Playback;

/// <summary>
/// Every error this service answers is an RFC 9457 problem (<c>application/problem+json</c>) with the status that tells a
/// client what to fix: 400 malformed id or body, 404 unknown or ended call or playback, 409 state conflict, 413 body too
/// large, 422 invalid media or options. Failures of the Calling API itself (not of the client's input) are 502/503/504.
/// </summary>
internal static class Problems
{
    public static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "Malformed request", detail);

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found", detail);

    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "State conflict", detail);

    public static IResult TooLarge(long limit) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"The body must be at most {limit} bytes.");

    /// <summary>A value Playback's validation refused: 422, with the field (the wire name Playback reports) in <c>field</c>.</summary>
    public static IResult Invalid(string field, string detail) =>
        Problem(StatusCodes.Status422UnprocessableEntity, "Invalid media or options", detail, field);

    /// <summary>
    /// What a Playback command's exception means for the client. <paramref name="idFields"/> are the fields that came from the
    /// URL (a malformed one is a 400); any other field Playback refuses came from the body (422).
    /// </summary>
    public static IResult From(Exception error, string callId, string? controlId, params string[] idFields) => error switch
    {
        ArgumentException a when idFields.Contains(a.ParamName) => BadRequest(a.Message),
        ArgumentException a => Invalid(a.ParamName ?? "body", a.Message),
        CallGoneException => NotFound($"Call {callId} is gone (ended or unknown to the Calling API)."),
        PlaybackStateException { State: null } when controlId is not null => NotFound($"Call {callId} has no playback {controlId}."),
        PlaybackStateException s => Conflict(s.Message),
        CallingApiException { StatusCode: 404 } => NotFound($"The Calling API does not know this call or playback ({callId}{(controlId is null ? string.Empty : " / " + controlId)})."),
        CallingApiException { IsTransient: true } api => Problem(StatusCodes.Status503ServiceUnavailable, "Calling API unavailable", api.Message),
        CallingApiException api => Problem(StatusCodes.Status502BadGateway, "Calling API refused the command", api.Message),
        TimeoutException t => Problem(StatusCodes.Status504GatewayTimeout, "No outcome in time", t.Message),
        PlaybackShutdownException or ObjectDisposedException => Problem(StatusCodes.Status503ServiceUnavailable, "Shutting down", "Playback is shutting down."),
        _ => throw new UnreachableException($"Problems.From got {error.GetType().Name}, which Handles refuses.", error),
    };

    /// <summary>Whether <see cref="From"/> turns this exception into a response (everything else is a bug and goes to the exception handler).</summary>
    public static bool Handles(Exception error) =>
        error is ArgumentException or PlaybackException or TimeoutException or ObjectDisposedException;

    private static IResult Problem(int status, string title, string detail, string? field = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title,
            extensions: field is null ? null : new Dictionary<string, object?> { ["field"] = field });
}
