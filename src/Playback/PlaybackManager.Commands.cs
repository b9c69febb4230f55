using Akka.Actor;

namespace Playback;

/// <summary>The commands' way to their call's actor and back: validation, the one reply, and what a caller sees when none comes.</summary>
public sealed partial class PlaybackManager
{
    /// <summary>
    /// Sends <paramref name="message"/> to its call's actor and waits for the one reply: by the routes, with a promise as
    /// the sender, when the manager runs its own registry; by Ask behind another router (Playback.Cluster).
    /// </summary>
    private Task<T> AskCallAsync<T>(IWithCallId message, Func<object?, T> unexpected, CancellationToken token)
        where T : class =>
        _routes is null
            ? _registry.Ask<T>(message, Settings.AskTimeout, token)
            : ReplyPromise<T>.SendAsync(_routes, _registry, _replyPath!, message, unexpected, Settings.AskTimeout, token);

    private Task<PlaybackSnapshot> ControlAsync(string command, string callId, string controlId, Func<string, string, IPlaybackCommand> create, CancellationToken cancellationToken, Action? validateFirst = null) =>
        Telemetry.CommandAsync(command, callId, controlId, () =>
        {
            validateFirst?.Invoke();
            PlayValidation.ValidateCallId(callId);
            PlayValidation.ValidateControlId(controlId, "control_id");
            ThrowIfDisposed();
            return AskAsync(create(callId, controlId), cancellationToken);
        });

    /// <summary>Every reply to a command is a CommandReply; anything else would be a bug, and fails the command rather than hang it.</summary>
    private static readonly Func<object?, CommandReply> UnexpectedReply =
        static message => new CommandFailed(new PlaybackShutdownException($"Unexpected reply {message?.GetType().Name}.", null, null));

    private async Task<PlaybackSnapshot> AskAsync(IPlaybackCommand command, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // The one moment "not sent" is certain: a token cancelled before the call sends nothing (once sent, cancelling
            // only stops the waiting).
            throw new OperationCanceledException($"{command.Name} for call {command.CallId} was not sent: its cancellation token was already cancelled.", null, cancellationToken);
        }

        // Linking costs an allocation per command: only link when the caller's token can fire.
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token) : null;
        CommandReply reply;
        try
        {
            var token = linked?.Token ?? _shutdown.Token;
            reply = await AskCallAsync(command, UnexpectedReply, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"Stopped waiting for {command.Name} on call {command.CallId}; the command itself may still complete.", null, cancellationToken);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            throw new PlaybackShutdownException($"{command.Name} for call {command.CallId} got no outcome: Playback is shutting down.", command.CallId, command.ControlId)
            {
                MayHaveBeenApplied = true, // it may have been sent before the shutdown
            };
        }
        catch (AskTimeoutException)
        {
            throw new TimeoutException($"{command.Name} for call {command.CallId} (control id {command.ControlId}) got no outcome within {Settings.AskTimeout}.");
        }

        return reply switch
        {
            CommandSucceeded ok => ok.Playback,
            CommandFailed failed => throw failed.Error,
            _ => throw new InvalidOperationException($"Unexpected reply {reply.GetType().Name}."),
        };
    }
}
