using System.Diagnostics;

namespace Playback;

/// <summary>
/// Playback's activities: one per command (<c>playback.play</c>, <c>playback.pause</c>, <c>playback.resume</c>,
/// <c>playback.volume</c>, <c>playback.stop</c>) and one per webhook (<c>playback.webhook</c>, linked to the play's).
/// Tags: <c>playback.call_id</c>, <c>playback.control_id</c>, <c>playback.outcome</c> (commands) and
/// <c>playback.webhook.event</c>, <c>playback.webhook.result</c> (webhooks); error status on failure. A command that
/// crosses cluster nodes carries its activity's W3C context (<see cref="ToWire"/>, <see cref="FromWire"/>), and may get
/// a <see cref="RemoteHopActivity"/> on the call's node.
/// </summary>
internal static partial class PlaybackActivities
{
    public const string CallIdTag = "playback.call_id";
    public const string ControlIdTag = "playback.control_id";
    public const string WebhookActivity = "playback.webhook";

    /// <summary>Listened to exactly when HttpClient's own source is: activity listeners pick sources by name.</summary>
    private static readonly ActivitySource HttpClientTracing = new("System.Net.Http");

    /// <summary>
    /// The command activity whose request this thread is starting, when it is not <see cref="Activity.Current"/>: set only
    /// around a synchronous call into the API client, which reads it before its first await. A thread-static, not an
    /// <c>AsyncLocal</c>: that would make the execution context of the whole HTTP path (every await of Polly, Flurl and
    /// HttpClient) a non-default one.
    /// </summary>
    [ThreadStatic]
    private static Activity? t_outgoing;

    private const string TraceParent = "traceparent";

    /// <summary>The runtime's default propagator (W3C <c>traceparent</c>/<c>tracestate</c>, baggage): a replaced one is always asked.</summary>
    private static readonly DistributedContextPropagator DefaultPropagator = DistributedContextPropagator.CreateDefaultPropagator();

    /// <summary>The activity of the command whose message the facade is creating on this thread (set around that synchronous section only).</summary>
    [ThreadStatic]
    public static Activity? Command;

    /// <summary>
    /// Starts a command's activity as a child of <see cref="Activity.Current"/> (null when nobody listens), leaving the
    /// caller's execution context as it was: starting an activity makes it current, which is undone at once.
    /// </summary>
    public static Activity? StartCommand(string command, string callId, string? controlId)
    {
        var source = PlaybackDiagnostics.Source;
        if (!source.HasListeners())
        {
            return null;
        }

        var context = ExecutionContext.Capture();
        var previous = Activity.Current;
        var activity = source.StartActivity(ActivityName(command), ActivityKind.Internal);
        if (context is not null)
        {
            ExecutionContext.Restore(context);
        }
        else
        {
            Activity.Current = previous;
        }

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

    /// <summary>Ends a command's activity with its outcome (and <paramref name="controlId"/>: a control id the start did not know, that of a play without one).</summary>
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
    /// Makes <paramref name="parent"/> the parent of the requests the actor starts now (restored on dispose), so that the
    /// <c>traceparent</c> header carries the caller's trace: when HttpClient's activities are traced, as the current
    /// activity (HttpClient's request activity is then its child); otherwise as the thread's outgoing command, which
    /// <see cref="InjectTraceContext"/> writes into the request itself (HttpClient makes and propagates an activity of its
    /// own whenever one is current, which costs more than the header is worth when nobody records it: see the README's
    /// Observability section). A retry, started later on another thread, passes it on with <see cref="Resume"/>. A parent
    /// from another node: see <see cref="EnterRemote"/>.
    /// </summary>
    public static CurrentScope Enter(Activity? parent)
    {
        if (parent is null || !HttpClientTracing.HasListeners())
        {
            return new(parent, current: false);
        }

        return IsRemoteParent(parent) ? EnterRemote(parent) : new(parent, current: true);
    }

    /// <summary>The command whose request this thread is starting (read synchronously when a request begins; see <see cref="Enter"/>).</summary>
    public static Activity? Outgoing => t_outgoing;

    /// <summary>Makes <paramref name="parent"/> (a command's <see cref="Outgoing"/>, kept by the caller) the thread's outgoing command again, around a later attempt.</summary>
    public static CurrentScope Resume(Activity? parent) => new(parent, current: false);

    /// <summary>Writes the W3C trace context of the command that starts <paramref name="request"/> on this thread, unless HttpClient propagates a current activity itself.</summary>
    public static void InjectTraceContext(Flurl.Http.IFlurlRequest request)
    {
        if (t_outgoing is not { } parent || Activity.Current is not null)
        {
            return;
        }

        if (IsRemoteParent(parent))
        {
            InjectRemote(parent, request);
            return;
        }

        if (ReferenceEquals(DistributedContextPropagator.Current, DefaultPropagator) && parent.IdFormat == ActivityIdFormat.W3C
            && string.IsNullOrEmpty(parent.TraceStateString) && !parent.Baggage.Any())
        {
            // What the default propagator writes for a W3C activity without trace state or baggage (it validates and trims
            // those), without its callback per header.
            request.Headers.Add(TraceParent, parent.Id!);
            return;
        }

        DistributedContextPropagator.Current.Inject(parent, request, static (carrier, name, value) =>
            ((Flurl.Http.IFlurlRequest)carrier!).Headers.Add(name, value));
    }

    private static string ActivityName(string command) => command switch
    {
        "play" => "playback.play",
        "pause" => "playback.pause",
        "resume" => "playback.resume",
        "volume" => "playback.volume",
        "stop" => "playback.stop",
        _ => "playback." + command,
    };

    /// <summary>Sets and restores the parent of outgoing requests around a synchronous section on an actor thread.</summary>
    public readonly struct CurrentScope : IDisposable
    {
        private readonly Activity? _previous;
        private readonly Activity? _parent;
        private readonly bool _current;
        private readonly bool _stop;

        public CurrentScope(Activity? parent, bool current, bool stopOnDispose = false)
        {
            _parent = parent;
            _current = current;
            _stop = stopOnDispose;
            if (parent is null)
            {
                return;
            }

            _previous = current ? Activity.Current : t_outgoing;
            if (current)
            {
                Activity.Current = parent;
            }
            else
            {
                t_outgoing = parent;
            }
        }

        public void Dispose()
        {
            if (_parent is null)
            {
                return;
            }

            if (_current)
            {
                Activity.Current = _previous;
                if (_stop)
                {
                    _parent.Stop();
                    Activity.Current = _previous;
                }
            }
            else
            {
                t_outgoing = _previous;
            }
        }
    }
}
