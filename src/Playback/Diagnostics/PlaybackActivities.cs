using System.Diagnostics;

namespace Playback;

/// <summary>
/// Playback's activities: one per command (<c>playback.play</c>, <c>playback.pause</c>, <c>playback.resume</c>,
/// <c>playback.volume</c>, <c>playback.stop</c>) and one per webhook (<c>playback.webhook</c>, linked to the play's).
/// Tags: <c>playback.call_id</c>, <c>playback.control_id</c>, <c>playback.outcome</c> (commands) and
/// <c>playback.webhook.event</c>, <c>playback.webhook.result</c> (webhooks); error status on failure. A command that
/// crosses cluster nodes carries its activity's W3C context (<see cref="ToWire"/>, <see cref="FromWire"/>).
/// </summary>
internal static class PlaybackActivities
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
    private const string TraceState = "tracestate";

    /// <summary>The operation name of a parent read from another node (<see cref="FromWire"/>); such an activity is never started.</summary>
    internal const string RemoteParentName = "playback.remote-parent";

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
    /// Observability section). A retry, started later on another thread, passes it on with <see cref="Resume"/>.
    /// </summary>
    public static CurrentScope Enter(Activity? parent) => new(parent, parent is not null && !IsRemoteParent(parent) && HttpClientTracing.HasListeners());

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
            // A command's activity on another node: its W3C context is all there is (no baggage), written as it came.
            request.Headers.Add(TraceParent, parent.ParentId!);
            if (!string.IsNullOrEmpty(parent.TraceStateString))
            {
                request.Headers.Add(TraceState, parent.TraceStateString);
            }

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

    /// <summary>
    /// The W3C context of a command's trace, for a message to another node: the activity's own id (its span is the
    /// parent of the request the other node starts), or a parent that came from another node, passed on as it came.
    /// Null without a trace or for an activity not in the W3C format.
    /// </summary>
    public static WireTrace? ToWire(Activity? trace) => trace switch
    {
        null => null,
        _ when IsRemoteParent(trace) => new WireTrace(trace.ParentId!, NullIfEmpty(trace.TraceStateString)),
        { IdFormat: ActivityIdFormat.W3C, Id: { } id } => new WireTrace(id, NullIfEmpty(trace.TraceStateString)),
        _ => null,
    };

    /// <summary>
    /// A command's trace that came from another node: an activity that is never started nor reported, whose parent is the
    /// command's activity there. Null when there is none or it is not a valid W3C <c>traceparent</c>.
    /// </summary>
    public static Activity? FromWire(WireTrace? wire)
    {
        if (wire is null || !ActivityContext.TryParse(wire.Traceparent, wire.Tracestate, isRemote: true, out var context))
        {
            return null;
        }

        var parent = new Activity(RemoteParentName);
        parent.SetParentId(context.TraceId, context.SpanId, context.TraceFlags);
        parent.TraceStateString = context.TraceState;
        return parent;
    }

    /// <summary>The context a webhook's activity links to for a play: the play's activity, or for a play from another node, that node's activity.</summary>
    public static ActivityContext ContextOf(Activity trace) => IsRemoteParent(trace)
        ? new ActivityContext(trace.TraceId, trace.ParentSpanId, trace.ActivityTraceFlags, trace.TraceStateString, isRemote: true)
        : trace.Context;

    private static bool IsRemoteParent(Activity trace) => ReferenceEquals(trace.OperationName, RemoteParentName) && trace.Id is null;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

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

        public CurrentScope(Activity? parent, bool current)
        {
            _parent = parent;
            _current = current;
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
            }
            else
            {
                t_outgoing = _previous;
            }
        }
    }
}

/// <summary>A command's trace between nodes: its W3C <c>traceparent</c> and <c>tracestate</c>.</summary>
internal sealed record WireTrace(string Traceparent, string? Tracestate);
