namespace Playback;

/// <summary>
/// The exceptions a command's caller gets, built in one place: from the state machine's refusals, from a request's
/// failure, and for commands that never ran (call gone, shutdown, moved to another node).
/// </summary>
internal static class CommandErrors
{
    /// <summary>The exception for a refusal of the state machine.</summary>
    public static PlaybackException ToException(string callId, CommandRefused refusal) => refusal.Kind switch
    {
        RefusalKind.CallGone => CallGone(WireNames.Of(refusal.Command), callId, refusal.ControlId, refusal.Message),
        _ => new PlaybackStateException(refusal.Message, callId, refusal.ControlId, refusal.State),
    };

    /// <summary>The reply a caller gets: refusals become <see cref="CommandFailed"/> with their exception; the rest as is.</summary>
    public static CommandReply ForCaller(string callId, CommandReply reply) =>
        reply is CommandRefused refused ? new CommandFailed(ToException(callId, refused)) : reply;

    /// <summary>The call is gone: the command was not sent.</summary>
    public static CommandFailed Gone(IPlaybackCommand command, string callId, string? reason) =>
        new(CallGone(command.Name, callId, command.ControlId, reason));

    /// <summary>Playback is shutting down: the command was not sent.</summary>
    public static CommandFailed Shutdown(IPlaybackCommand command, string callId) =>
        new(new PlaybackShutdownException($"{command.Name} for call {callId} was not run: Playback is shutting down.", callId, command.ControlId));

    /// <summary>The command was not run, for the reason <paramref name="why"/>: nothing was sent.</summary>
    public static CommandFailed NotRun(IPlaybackCommand command, string why) =>
        new(new PlaybackShutdownException($"{command.Name} for call {command.CallId} was not run: {why}. Nothing was sent; it is safe to send again.", command.CallId, command.ControlId));

    /// <summary>The call's actor moved to another node before the command ran: the caller's manager sends it again.</summary>
    public static CommandFailed Moved(IPlaybackCommand command, string callId) =>
        new(new PlaybackMovedException($"{command.Name} for call {callId} was not sent: the call's actor moved to another node. Send it again.", callId, command.ControlId));

    /// <summary>
    /// What a request's failure means for its command: a <see cref="PlaybackException"/> as thrown; a cancellation (Playback
    /// shutting down while the request was out, or an <see cref="ICallingApi"/>'s own timeout) as an unknown outcome, a
    /// <see cref="CallingApiException"/> that may have been applied (so a play is settled, never just reported failed);
    /// anything else as a final <see cref="CallingApiException"/> carrying it.
    /// </summary>
    public static PlaybackException FromRequest(Exception error, string callId, ApiRequest request)
    {
        var command = WireNames.Of(request.Command);
        return error switch
        {
            PlaybackException p => p,
            OperationCanceledException => new CallingApiException(command, callId, request.ControlId, null, "cancelled before its answer came (Playback is shutting down, or the API client gave up): it may have been applied", null, null, isTransient: true, inner: error)
            {
                MayHaveBeenApplied = true,
            },
            _ => new CallingApiException(command, callId, request.ControlId, null, $"{error.GetType().Name}: {error.Message}", null, null, isTransient: false, inner: error),
        };
    }

    private static CallGoneException CallGone(string command, string callId, string? controlId, string? reason) =>
        new(command, callId, controlId, null, reason, null);
}
