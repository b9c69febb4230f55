using System.Diagnostics;

namespace Playback;

/// <summary>A command's trace across cluster nodes: its W3C context in the message, and what the call's node does with it.</summary>
internal static partial class PlaybackActivities
{
    /// <summary>
    /// The activity a call's node starts for a command from another node while its request starts, when both Playback's
    /// and HttpClient's activities are traced there: a child of the command's activity on the other node, so that
    /// HttpClient's request activity has a parent in the same trace. It ends as the request has started.
    /// </summary>
    public const string RemoteHopActivity = "playback.remote";

    /// <summary>The operation name of a parent read from another node (<see cref="FromWire"/>); such an activity is never started.</summary>
    internal const string RemoteParentName = "playback.remote-parent";

    private const string TraceState = "tracestate";

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

    /// <summary>
    /// HttpClient's activities traced, a parent from another node: it has no span here to be current, so a
    /// <see cref="RemoteHopActivity"/> (its child) is, while the request starts; with nobody listening to Playback here,
    /// the request gets the parent's context written into it (<see cref="InjectRemote"/>) and HttpClient's own activity
    /// starts a trace of its own.
    /// </summary>
    private static CurrentScope EnterRemote(Activity parent)
    {
        var previous = Activity.Current;
        var hop = PlaybackDiagnostics.Source.StartActivity(RemoteHopActivity, ActivityKind.Internal, ContextOf(parent));
        if (hop is null)
        {
            return new(parent, current: false);
        }

        Activity.Current = previous;
        return new(hop, current: true, stopOnDispose: true);
    }

    /// <summary>
    /// Writes the W3C context a parent from another node came with, as it came (no baggage crosses nodes), when the
    /// runtime's default propagator is the one in use. A propagator you set cannot be asked about a parent that has no
    /// activity here: then nothing is written, rather than headers your propagator might not write (or is set to keep back).
    /// </summary>
    private static void InjectRemote(Activity parent, Flurl.Http.IFlurlRequest request)
    {
        if (!ReferenceEquals(DistributedContextPropagator.Current, DefaultPropagator))
        {
            return;
        }

        request.Headers.Add(TraceParent, parent.ParentId!);
        if (!string.IsNullOrEmpty(parent.TraceStateString))
        {
            request.Headers.Add(TraceState, parent.TraceStateString);
        }
    }
}

/// <summary>A command's trace between nodes: its W3C <c>traceparent</c> and <c>tracestate</c>.</summary>
internal sealed record WireTrace(string Traceparent, string? Tracestate);
