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
        }
        finally
        {
            DistributedContextPropagator.Current = previous;
        }
    }

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
