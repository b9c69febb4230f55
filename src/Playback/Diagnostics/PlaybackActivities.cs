using System.Diagnostics;

namespace Playback;

/// <summary>
/// Playback's activities: one per command (<c>playback.play</c>, <c>playback.pause</c>, <c>playback.resume</c>,
/// <c>playback.volume</c>, <c>playback.stop</c>) and one per webhook (<c>playback.webhook</c>, linked to the play's).
/// Tags: <c>playback.call_id</c>, <c>playback.control_id</c>, <c>playback.outcome</c> (commands) and
/// <c>playback.webhook.event</c>, <c>playback.webhook.result</c> (webhooks); error status on failure.
/// </summary>
internal static class PlaybackActivities
{
    public const string CallIdTag = "playback.call_id";
    public const string ControlIdTag = "playback.control_id";
    public const string WebhookActivity = "playback.webhook";

    /// <summary>Starts a command's activity as a child of <see cref="Activity.Current"/> (null when nobody listens).</summary>
    public static Activity? StartCommand(string command, string callId, string? controlId)
    {
        var source = PlaybackDiagnostics.Source;
        if (!source.HasListeners())
        {
            return null;
        }

        var activity = source.StartActivity(ActivityName(command), ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(CallIdTag, callId);
            if (controlId is not null)
            {
                activity.SetTag(ControlIdTag, controlId);
            }
        }

        return activity;
    }

    /// <summary>Ends a command's activity with its outcome (and the control id, known only now for a play without one).</summary>
    public static void EndCommand(Activity activity, string outcome, string? controlId, Exception? error)
    {
        if (activity.IsAllDataRequested)
        {
            if (controlId is not null)
            {
                activity.SetTag(ControlIdTag, controlId);
            }

            activity.SetTag(PlaybackMetrics.OutcomeTag, outcome);
            if (error is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, outcome);
                activity.AddException(error);
            }
        }

        activity.Stop();
    }

    public static Activity? StartWebhook() =>
        PlaybackDiagnostics.Source.HasListeners() ? PlaybackDiagnostics.Source.StartActivity(WebhookActivity, ActivityKind.Internal) : null;

    public static void EndWebhook(WebhookScope scope, string status, WebhookResult result)
    {
        if (scope.Activity is not { } activity)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag(PlaybackMetrics.WebhookEventTag, scope.Event);
            activity.SetTag(PlaybackMetrics.WebhookResultTag, status);
            if (scope.CallId is not null)
            {
                activity.SetTag(CallIdTag, scope.CallId);
            }

            if (scope.ControlId is not null)
            {
                activity.SetTag(ControlIdTag, scope.ControlId);
            }

            if (result.Status == WebhookStatus.Rejected)
            {
                activity.SetStatus(ActivityStatusCode.Error, result.Rejection?.ToString() ?? "rejected");
            }
        }

        activity.Stop();
    }

    /// <summary>Links a webhook's activity to the activity of the play it reports on (set by the call's actor, which keeps the play's context).</summary>
    public static void LinkToPlay(Activity? webhook, ActivityContext play)
    {
        if (webhook is { IsAllDataRequested: true } && play != default)
        {
            webhook.AddLink(new ActivityLink(play));
        }
    }

    /// <summary>
    /// Makes <paramref name="parent"/> the current activity while the actor starts a request (restored on dispose), so that
    /// the HTTP request's activity is its child and the <c>traceparent</c> header carries the caller's trace.
    /// </summary>
    public static CurrentScope Enter(Activity? parent) => new(parent);

    private static string ActivityName(string command) => command switch
    {
        "play" => "playback.play",
        "pause" => "playback.pause",
        "resume" => "playback.resume",
        "volume" => "playback.volume",
        "stop" => "playback.stop",
        _ => "playback." + command,
    };

    /// <summary>Sets and restores <see cref="Activity.Current"/> around a synchronous section on an actor thread.</summary>
    public readonly struct CurrentScope : IDisposable
    {
        private readonly Activity? _previous;
        private readonly bool _set;

        public CurrentScope(Activity? parent)
        {
            _previous = Activity.Current;
            _set = parent is not null;
            if (_set)
            {
                Activity.Current = parent;
            }
        }

        public void Dispose()
        {
            if (_set)
            {
                Activity.Current = _previous;
            }
        }
    }
}
