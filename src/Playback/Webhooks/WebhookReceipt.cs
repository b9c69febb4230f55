using Akka.Actor;
using Activity = System.Diagnostics.Activity;

namespace Playback;

/// <summary>
/// The sender of a webhook handed off without waiting (<see cref="PlaybackManager.HandOffWebhook"/>): when the call's
/// actor answers, it counts the outcome and ends the webhook's measurement, on the actor's thread, without the temporary
/// actor, timer and task of an <c>Ask</c>. Local only: it is not registered anywhere, so it is used only when the call
/// actors live in this process (a reply sent to it from another node would not find it).
/// </summary>
internal sealed class WebhookReceipt(PlaybackManager manager, WebhookScope scope) : MinimalActorRef
{
    /// <summary>One path for every receipt of a manager: nothing looks a receipt up by its path.</summary>
    public override ActorPath Path => manager.ReceiptPath;

    /// <summary>The provider of the manager's ActorSystem.</summary>
    public override IActorRefProvider Provider => manager.ReceiptProvider;

    /// <summary>The actor's <see cref="WebhookResult"/> finishes the webhook; nothing else is sent here.</summary>
    protected override void TellInternal(object message, IActorRef sender)
    {
        if (message is not WebhookResult result)
        {
            return;
        }

        // Ending an activity makes its parent current on this thread: keep the actor thread's own context.
        var current = scope.Activity is null ? null : Activity.Current;
        manager.WebhookFinished(scope, result);
        if (scope.Activity is not null)
        {
            Activity.Current = current;
        }
    }
}
