using System.Diagnostics;
using Flurl.Http;
using Xunit;

namespace Playback.Tests;

/// <summary>
/// The trace context Playback writes into a command's request when HttpClient does not propagate one itself: exactly what
/// the runtime's propagator writes (its short path for the default propagator must not differ), and a replaced
/// propagator is always the one asked.
/// </summary>
[Collection(nameof(PropagatorCollection))]
public sealed class TraceContextInjectionTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("vendor=abc,other=1", false)]
    [InlineData("vendor=abc", true)]
    public void Writes_what_the_default_propagator_writes(string? traceState, bool baggage)
    {
        Assert.Same(DistributedContextPropagator.CreateDefaultPropagator(), DistributedContextPropagator.Current);
        using var activity = W3CActivity(traceState, baggage);

        Assert.Equal(Expected(activity), Injected(activity));
        Assert.Contains(("traceparent", activity.Id!), Injected(activity));
    }

    [Fact]
    public void A_replaced_propagator_is_the_one_asked()
    {
        var previous = DistributedContextPropagator.Current;
        DistributedContextPropagator.Current = new FixedPropagator();
        try
        {
            using var activity = W3CActivity("vendor=abc", baggage: false);
            Assert.Equal([("x-trace", "fixed")], Injected(activity));

            // A parent from another node cannot be handed to it (no activity here): nothing rather than W3C headers.
            Assert.Empty(Injected(PlaybackActivities.FromWire(PlaybackActivities.ToWire(activity))!));
        }
        finally
        {
            DistributedContextPropagator.Current = previous;
        }
    }

    [Fact]
    public void A_parent_from_another_node_is_written_as_it_came_and_never_made_current()
    {
        // HttpClient's activities traced: a local command's activity becomes current for the request (HttpClient's is its
        // child); a parent from another node cannot be (it has no span here), so Playback writes its context itself.
        using var http = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(http);
        using var local = W3CActivity("vendor=abc", baggage: false);
        var remote = PlaybackActivities.FromWire(PlaybackActivities.ToWire(local))!;

        using (PlaybackActivities.Enter(local))
        {
            Assert.Same(local, Activity.Current);
        }

        using (PlaybackActivities.Enter(remote))
        {
            Assert.Null(Activity.Current);
            Assert.Same(remote, PlaybackActivities.Outgoing);
        }

        Assert.Equal([("traceparent", local.Id!), ("tracestate", "vendor=abc")], Injected(remote));
        Assert.Equal(PlaybackActivities.ToWire(local), PlaybackActivities.ToWire(remote));
        Assert.Null(PlaybackActivities.FromWire(new WireTrace("00-xyz", null)));
    }

    [Fact]
    public async Task With_HttpClient_traced_a_request_for_a_command_from_another_node_carries_its_traceparent_once()
    {
        var seen = new List<string[]>();
        await using var server = await ApiAsync(seen);
        using var http = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(http);
        using var api = new CallingApi(new PlaybackSettings { ProjectId = "proj", ApiToken = "tok", BaseUrl = new Uri(server.BaseUrl) });
        using var command = W3CActivity(null, baggage: false);
        var remote = PlaybackActivities.FromWire(PlaybackActivities.ToWire(command))!;

        Task sent;
        using (PlaybackActivities.Enter(remote))
        {
            sent = api.SetVolumeAsync("call-1", "ctl-1", -3, CancellationToken.None);
        }

        await sent;
        Assert.Equal([command.Id!], Assert.Single(seen));
    }

    [Fact]
    public async Task With_Playback_and_HttpClient_traced_a_command_from_another_node_gets_a_hop_here_that_parents_the_request()
    {
        var seen = new List<string[]>();
        await using var server = await ApiAsync(seen);
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "System.Net.Http" or PlaybackDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (stopped)
                {
                    stopped.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var api = new CallingApi(new PlaybackSettings { ProjectId = "proj", ApiToken = "tok", BaseUrl = new Uri(server.BaseUrl) });
        using var command = W3CActivity(null, baggage: false);
        var remote = PlaybackActivities.FromWire(PlaybackActivities.ToWire(command))!;

        Task sent;
        using (PlaybackActivities.Enter(remote))
        {
            Assert.Equal(PlaybackActivities.RemoteHopActivity, Activity.Current?.OperationName);
            sent = api.SetVolumeAsync("call-1", "ctl-1", -3, CancellationToken.None);
        }

        await sent;
        Assert.Null(Activity.Current);
        Activity hop, request;
        lock (stopped)
        {
            hop = Assert.Single(stopped, a => a.OperationName == PlaybackActivities.RemoteHopActivity);
            request = Assert.Single(stopped, a => a.Source.Name == "System.Net.Http");
        }

        // command (the other node) -> playback.remote (here) -> HttpClient's request -> the API.
        Assert.Equal((command.TraceId, command.SpanId), (hop.TraceId, hop.ParentSpanId));
        Assert.Equal((command.TraceId, hop.SpanId), (request.TraceId, request.ParentSpanId));
        Assert.Equal([request.Id!], Assert.Single(seen));
    }

    /// <summary>A Calling API on loopback that answers 200 and notes each request's <c>traceparent</c> values.</summary>
    private static Task<Playback.Testing.LoopbackWebApp> ApiAsync(List<string[]> seen) =>
        Playback.Testing.LoopbackWebApp.StartAsync(map: app => Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapPost(app, "/api/calling/calls", (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            lock (seen)
            {
                seen.Add(context.Request.Headers["traceparent"].ToArray()!);
            }

            return Microsoft.AspNetCore.Http.Results.Json(new { code = "200", message = "Playing" });
        }));

    private static Activity W3CActivity(string? traceState, bool baggage)
    {
        var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C);
        activity.TraceStateString = traceState;
        if (baggage)
        {
            activity.AddBaggage("tenant", "t1");
        }

        var current = Activity.Current;
        activity.Start();
        Activity.Current = current; // a command's activity is never current where its request starts
        return activity;
    }

    private static List<(string, string)> Injected(Activity activity)
    {
        var request = new FlurlRequest("http://127.0.0.1:1/api/calling/calls");
        using (PlaybackActivities.Resume(activity))
        {
            PlaybackActivities.InjectTraceContext(request);
        }

        return request.Headers.Select(h => (h.Name, h.Value)).ToList();
    }

    private static List<(string, string)> Expected(Activity activity)
    {
        var headers = new List<(string, string)>();
        DistributedContextPropagator.Current.Inject(activity, headers, static (carrier, name, value) => ((List<(string, string)>)carrier!).Add((name, value)));
        return headers;
    }

    private sealed class FixedPropagator : DistributedContextPropagator
    {
        public override IReadOnlyCollection<string> Fields => ["x-trace"];

        public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter) => setter?.Invoke(carrier, "x-trace", "fixed");

        public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState) =>
            (traceId, traceState) = (null, null);

        public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;
    }
}

/// <summary>Tests that replace the process-wide propagator run alone.</summary>
[CollectionDefinition(nameof(PropagatorCollection), DisableParallelization = true)]
public sealed class PropagatorCollection;
