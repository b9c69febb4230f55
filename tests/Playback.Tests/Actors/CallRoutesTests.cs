using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// The routes around the call registry: a message goes straight to a call's actor only while the registry holds the
/// route open, and the registry never opens it while messages told through it are still on their way (so a message
/// told straight never overtakes an earlier one from the same sender).
/// </summary>
public sealed class CallRoutesTests() : TestKit("akka.loglevel = WARNING")
{
    private static PausePlay Pause(string controlId) => new("call-1", controlId);

    [Fact]
    public void A_call_without_an_open_route_is_reached_through_the_registry_and_each_message_is_counted()
    {
        var routes = new CallRoutes();
        var registry = CreateTestProbe();

        routes.Send(Pause("a"), TestActor, registry);
        routes.Send(Pause("b"), TestActor, registry);

        var first = registry.ExpectMsg<QueuedMessage>();
        var second = registry.ExpectMsg<QueuedMessage>();
        Assert.Equal(Pause("a"), first.Message);
        Assert.Equal(Pause("b"), second.Message);
        Assert.Same(first.Route, second.Route);
        Assert.Equal(2, first.Route.Queued);
        Assert.Equal(TestActor, registry.LastSender);
    }

    /// <summary>
    /// The registry restarts with two messages of a call queued in its mailbox: the route they were counted on is kept, so
    /// that the restarted registry, starting the call's actor for the first of them, does not open the route while the
    /// second still waits (a message told straight would overtake it).
    /// </summary>
    [Fact]
    public void A_registry_restart_keeps_the_routes_whose_messages_are_still_queued_and_opens_them_only_when_all_arrived()
    {
        var routes = new CallRoutes();
        var registry = CreateTestProbe();
        var actor = CreateTestProbe();
        routes.Send(Pause("a"), TestActor, registry);
        routes.Send(Pause("b"), TestActor, registry);
        var a = registry.ExpectMsg<QueuedMessage>();
        var b = registry.ExpectMsg<QueuedMessage>();

        routes.Clear(); // the registry's PostStop, on its restart

        CallRoutes.Arrived(a); // the restarted registry takes "a" and starts the call's actor on the call's route
        var route = routes.For("call-1");
        Assert.Same(a.Route, route);
        route.Actor = actor;
        CallRoutes.TryOpen(route);
        Assert.False(routes.IsOpen("call-1")); // "b" is still in the registry's mailbox
        CallRoutes.Arrived(b);
        CallRoutes.TryOpen(route);
        Assert.True(routes.IsOpen("call-1"));
    }

    [Fact]
    public void A_route_opens_only_once_every_message_told_through_the_registry_has_arrived_there()
    {
        var routes = new CallRoutes();
        var registry = CreateTestProbe();
        var actor = CreateTestProbe();

        routes.Send(Pause("a"), TestActor, registry);
        var a = registry.ExpectMsg<QueuedMessage>();
        a.Route.Actor = actor;
        CallRoutes.TryOpen(a.Route);
        Assert.False(routes.IsOpen("call-1")); // "a" is still in the registry's mailbox

        routes.Send(Pause("b"), TestActor, registry);
        var b = registry.ExpectMsg<QueuedMessage>();
        CallRoutes.Arrived(a);
        CallRoutes.TryOpen(a.Route);
        Assert.False(routes.IsOpen("call-1")); // "b" still is

        CallRoutes.Arrived(b);
        CallRoutes.TryOpen(b.Route);
        Assert.True(routes.IsOpen("call-1"));
        routes.Send(Pause("c"), TestActor, registry);

        Assert.Equal(Pause("c"), actor.ExpectMsg<PausePlay>());
        Assert.Equal(TestActor, actor.LastSender);
        Assert.False(registry.HasMessages);
    }

    [Fact]
    public void A_closed_route_sends_through_the_registry_again_and_is_dropped_only_when_nothing_is_on_its_way()
    {
        var routes = new CallRoutes();
        var registry = CreateTestProbe();
        var actor = CreateTestProbe();
        var route = routes.For("call-1");
        route.Actor = actor;
        CallRoutes.TryOpen(route);
        Assert.True(routes.IsOpen("call-1"));

        CallRoutes.Close(route);
        routes.Send(Pause("a"), TestActor, registry);
        var queued = registry.ExpectMsg<QueuedMessage>();
        Assert.Same(route, queued.Route);
        Assert.False(actor.HasMessages);

        routes.Forget("call-1", route);
        Assert.Equal(1, routes.Count); // "a" is on its way: its route stays
        CallRoutes.Arrived(queued);
        routes.Forget("call-1", route);
        Assert.Equal(0, routes.Count);
        Assert.True(route.Removed);

        routes.Send(Pause("b"), TestActor, registry); // a sender that held the dropped route takes a new one
        Assert.NotSame(route, registry.ExpectMsg<QueuedMessage>().Route);
    }
}

/// <summary>The routes around the registry, with a real manager: open while the call's actor runs, gone with it.</summary>
public sealed class CallRoutesManagerTests(ITestOutputHelper output) : PlaybackSpec(output, "akka.loglevel = WARNING")
{
    private const int Rounds = 100;

    [Fact]
    public async Task A_running_calls_route_is_open_and_is_dropped_when_its_actor_passivates()
    {
        await using var manager = CreateManager(Settings with { IdleTimeout = TimeSpan.FromMilliseconds(200) });
        var routes = manager.Routes!;
        var handle = await Within10s(manager.PlayAsync("call-r", Hello));
        Assert.True(routes.IsOpen("call-r"));
        await Within10s(handle.SetVolumeAsync(3));

        await Within10s(handle.StopAsync());
        await AwaitAssertAsync(() => Assert.Equal(0, manager.Statistics.ActiveCalls));
        await AwaitAssertAsync(() => Assert.Equal(0, routes.Count));

        var again = await Within10s(manager.PlayAsync("call-r", Hello));
        Assert.True(routes.IsOpen("call-r"));
        await Within10s(again.StopAsync());
        Assert.Equal(
            [CallingApi.Commands.Play, CallingApi.Commands.Volume, CallingApi.Commands.Stop, CallingApi.Commands.Play, CallingApi.Commands.Stop],
            Api.Requests.Select(r => r.Command));
    }

    [Fact]
    public async Task Webhooks_for_unknown_calls_handed_off_or_awaited_leave_no_route_behind()
    {
        await using var manager = CreateManager();
        var result = manager.HandOffWebhook("https://app.example.com/hook", NoHeaders, PlayWebhook("call-nobody", "ctl-1", "playing"));

        Assert.Equal(WebhookStatus.Accepted, result.Status); // handed off
        var awaited = await Within10s(manager.HandleWebhookAsync("https://app.example.com/hook", NoHeaders, PlayWebhook("call-nobody-2", "ctl-1", "playing")));

        Assert.Equal(WebhookStatus.Ignored, awaited.Status);
        await AwaitAssertAsync(() => Assert.Equal(2, manager.Statistics.WebhooksForUnknownCalls));
        await AwaitAssertAsync(() => Assert.Equal(0, manager.Routes!.Count));
    }

    [Fact]
    public async Task Commands_sent_back_to_back_while_calls_passivate_each_get_one_outcome_and_reach_the_wire_in_order()
    {
        await using var manager = CreateManager(Settings with { IdleTimeout = TimeSpan.FromMilliseconds(1) });
        var calls = Enumerable.Range(0, 4).Select(i => "call-" + i).ToArray();
        var outcomes = new List<Task>();
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var call in calls)
            {
                // Play and stop told one after the other without waiting: the stop must never overtake its play.
                var controlId = $"ctl-{round}";
                outcomes.Add(manager.PlayAsync(call, Hello, new PlayOptions { ControlId = controlId }));
                outcomes.Add(manager.StopAsync(call, controlId));
            }

            await Within10s(Task.WhenAll(outcomes));
            outcomes.Clear();
            await Task.Delay(round % 8 * 2); // the next round then meets the calls at varied points of their passivation
            if (round % 10 == 9)
            {
                await AwaitAssertAsync(() => Assert.Equal(0, manager.Statistics.ActiveCalls));
            }
        }

        foreach (var call in calls)
        {
            var wire = Api.Requests.Where(r => r.CallId == call).Select(r => (r.Command, r.ControlId)).ToList();
            var expected = Enumerable.Range(0, Rounds).SelectMany(i => new[] { (CallingApi.Commands.Play, $"ctl-{i}"), (CallingApi.Commands.Stop, $"ctl-{i}") });
            Assert.Equal(expected, wire);
        }

        await AwaitAssertAsync(() => Assert.Equal(0, manager.Routes!.Count));
    }
}

/// <summary>
/// The registry's side of the routes, with scripted call actors (each tells the test what it gets, and asks its parent
/// what the test says): what waits in the registry is never overtaken and never dropped.
/// </summary>
public sealed class CallRegistryRoutesTests() : TestKit("akka.loglevel = WARNING")
{
    private readonly CallRoutes _routes = new();

    private static PlayStatusReceived Webhook(string controlId) => new("call-1", controlId, ReportedPlayState.Playing, null);

    private IActorRef Registry(bool withStore)
    {
        var settings = new PlaybackActorSettings(new FakeCallingApi(), new PlaybackEventHub(null, _ => { }), new PlaybackCounters(), TimeSpan.FromHours(1), TimeSpan.Zero, CancellationToken.None)
        {
            Routes = _routes,
            Persistence = withStore ? PlaybackPersistenceSettings.Sqlite("Data Source=unused.db") : null,
        };
        return Sys.ActorOf(CallRegistry.Props(settings, Props.Create<ScriptedCall>(TestActor)));
    }

    [Fact]
    public void A_second_passivate_keeps_what_the_first_held_and_the_successor_gets_it()
    {
        var registry = Registry(withStore: false);
        _routes.Send(new PausePlay("call-1", "a"), TestActor, registry);
        ExpectMsg<PausePlay>();
        var first = LastSender; // the call's actor
        Assert.True(_routes.IsOpen("call-1"));

        first.Tell(new Ask(new Passivate("call-1"))); // idle
        ExpectMsg<StopIfIdle>();
        Assert.False(_routes.IsOpen("call-1"));
        _routes.Send(new PausePlay("call-1", "b"), TestActor, registry); // held: the actor passivates
        first.Tell(new Ask(new Passivate("call-1"))); // and the call ended meanwhile
        first.Tell(new Ask(ListCalls.Instance)); // answered after the second Passivate is handled
        ExpectMsg<CallList>(); // and no second StopIfIdle before it: the actor answers the first one

        first.Tell(PoisonPill.Instance);
        Assert.Equal(new PausePlay("call-1", "b"), ExpectMsg<PausePlay>());
        Assert.NotEqual(first, LastSender); // the successor
        AwaitAssert(() => Assert.True(_routes.IsOpen("call-1")));
    }

    [Fact]
    public void Webhooks_waiting_for_the_stores_listing_keep_their_order_and_the_route_opens_after_it()
    {
        var registry = Registry(withStore: true);
        _routes.Send(Webhook("w1"), TestActor, registry); // no actor yet: waits for the listing
        registry.Tell(new RecoverCall("call-1"), TestActor); // starts the call's actor
        ExpectMsg<RecoverCall>();
        Assert.False(_routes.IsOpen("call-1"));

        _routes.Send(Webhook("w2"), TestActor, registry);
        registry.Tell(new RecoverCalls(["call-1"], Failed: false));

        Assert.Equal("w1", ExpectMsg<PlayStatusReceived>().ControlId);
        Assert.Equal("w2", ExpectMsg<PlayStatusReceived>().ControlId);
        AwaitAssert(() => Assert.True(_routes.IsOpen("call-1")));
    }

    [Fact]
    public void What_comes_while_a_call_whose_store_could_not_be_read_stops_goes_to_a_successor_and_so_does_a_later_webhook()
    {
        var registry = Registry(withStore: true);
        registry.Tell(new RecoverCalls([], Failed: false)); // the listing is done
        _routes.Send(new PausePlay("call-1", "a"), TestActor, registry);
        ExpectMsg<PausePlay>();
        var lost = LastSender;

        lost.Tell(new Ask(new Passivate("call-1", Unreadable: true)));
        ExpectMsg<StopIfIdle>();
        _routes.Send(Webhook("w1"), TestActor, registry); // held: the actor stops
        lost.Tell(PoisonPill.Instance);

        Assert.Equal("w1", ExpectMsg<PlayStatusReceived>().ControlId); // not answered "unknown call": a successor reads again
        var successor = LastSender;
        Assert.NotEqual(lost, successor);

        successor.Tell(new Ask(new Passivate("call-1", Unreadable: true)));
        ExpectMsg<StopIfIdle>();
        successor.Tell(PoisonPill.Instance);
        AwaitAssert(() => Assert.Equal(0, _routes.Count));
        _routes.Send(Webhook("w2"), TestActor, registry); // no actor, but the call may be live in the store

        Assert.Equal("w2", ExpectMsg<PlayStatusReceived>().ControlId);
    }

    private sealed record Ask(object Message);

    /// <summary>A call actor that tells the test everything it gets and, on <see cref="Ask"/>, tells its parent the message.</summary>
    private sealed class ScriptedCall(IActorRef test) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is Ask ask)
            {
                Context.Parent.Tell(ask.Message);
                return;
            }

            test.Tell(message, Self);
        }
    }
}
