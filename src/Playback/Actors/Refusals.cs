using Akka.Actor;

namespace Playback;

/// <summary>Answers to messages that will not be handled (Playback shutting down, a call whose store cannot be read), by their kind.</summary>
internal static class Refusals
{
    /// <summary>
    /// Answers <paramref name="message"/>: a command with <paramref name="command"/>'s reply, a webhook with a 503 giving
    /// <paramref name="webhookReason"/> (sent again later), a lookup (<see cref="FindPlayback"/>, <see cref="RecoverCall"/>,
    /// <see cref="FlushCall"/>) with <paramref name="lookup"/> when there is one; anything else is not answered.
    /// </summary>
    public static void Refuse(object message, IActorRef sender, Func<IPlaybackCommand, CommandReply> command, string webhookReason, Status.Failure? lookup)
    {
        switch (message)
        {
            case IPlaybackCommand c:
                sender.Tell(command(c));
                break;
            case PlayStatusReceived or CallStateReceived:
                sender.Tell(WebhookResult.Rejected(webhookReason, WebhookRejection.Unavailable));
                break;
            case FindPlayback or RecoverCall or FlushCall when lookup is not null:
                sender.Tell(lookup);
                break;
        }
    }
}
