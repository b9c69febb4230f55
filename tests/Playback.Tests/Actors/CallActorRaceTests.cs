using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Playback.Tests;

/// <summary>Races of a call actor with its parent and with its own earlier incarnation, with the real actor and registry.</summary>
public sealed class CallActorRaceTests() : TestKit("akka.loglevel = WARNING")
{
    private readonly CallRoutes _routes = new();
    private readonly FakeCallingApi _api = new();

    private PlaybackActorSettings ActorSettings() =>
        new(_api, new PlaybackEventHub(null, _ => { }), new PlaybackCounters(), TimeSpan.FromHours(1), TimeSpan.Zero, CancellationToken.None) { Routes = _routes };

    private static StartPlay Play(string controlId) => new("call-1", controlId, ImmutableArray.Create<MediaItem>(Media.Tts("Hello")), new PlayOptions { ControlId = controlId });

    /// <summary>
    /// A call that ends while its passivation is under way (the registry's <see cref="StopIfIdle"/> waits behind the request
    /// that then finds the call gone): the actor still stops, and the call's next messages reach a successor.
    /// </summary>
    [Fact]
    public async Task A_call_that_ends_while_its_passivation_waits_for_a_request_still_stops_and_its_next_command_is_answered()
    {
        var gate = new RequestGate();
        _api.Respond = gate.Respond;
        var settings = ActorSettings();
        var registry = Sys.ActorOf(CallRegistry.Props(settings, Props.Create(typeof(PlaybackActor), settings)));

        _routes.Send(Play("p"), TestActor, registry);
        var (_, done) = await gate.NextAsync(); // the play is on the wire: the actor is busy
        var actor = await Sys.ActorSelection(registry.Path / PlaybackActor.NameFor("call-1")).ResolveOne(TimeSpan.FromSeconds(5));
        Watch(actor);

        registry.Tell(new Passivate("call-1"), actor); // what the actor's idle check sent just before the play reached it
        registry.Tell(ListCalls.Instance);
        ExpectMsg<CallList>(); // the registry has closed the route and told the actor StopIfIdle, which waits behind the play
        done.SetException(new CallGoneException(CallingApi.Commands.Play, "call-1", "p", 404, "Not Found", null));

        Assert.IsType<CallGoneException>(ExpectMsg<CommandFailed>().Error);
        ExpectTerminated(actor);
        _routes.Send(new PausePlay("call-1", "p"), TestActor, registry);
        ExpectMsg<CommandFailed>(); // from a successor (no active playback), not a timeout
    }

    /// <summary>
    /// An actor restarted (an exception in a handler) while its request was on the wire: the new incarnation sends its
    /// first request only once that one is answered (one request per call at a time), and that answer, which reaches the
    /// new incarnation (same address), is not taken for the answer to the new incarnation's own request.
    /// </summary>
    [Fact]
    public async Task The_answer_to_a_request_of_an_earlier_incarnation_is_not_taken_for_the_new_one_s()
    {
        var gate = new RequestGate();
        _api.Respond = gate.Respond;
        var actor = Sys.ActorOf(Props.Create(() => new FailingCall(ActorSettings())));

        actor.Tell(Play("old"), TestActor);
        var (_, old) = await gate.NextAsync();
        actor.Tell("fail"); // restarts the actor; the play's caller hears that it stopped
        Assert.IsType<PlaybackShutdownException>(ExpectMsg<CommandFailed>().Error);
        actor.Tell(Play("new"), TestActor);
        actor.Tell(new FindPlayback("call-1", "new"), TestActor);
        Assert.NotNull(ExpectMsg<FoundPlayback>().Playback); // the new incarnation has decided the play: it waits for the old request
        Assert.Single(_api.Requests);

        old.SetException(new CallingApiException(CallingApi.Commands.Play, "call-1", "old", 422, "refused", null, null, isTransient: false));
        var (request, current) = await gate.NextAsync();
        Assert.Equal("new", request.ControlId);
        current.SetResult();

        Assert.Equal("new", Assert.IsType<CommandSucceeded>(ExpectMsg<CommandReply>()).Playback.ControlId);
        Assert.Equal(1, _api.MaxInFlightPerCall);
    }

    /// <summary>
    /// The registry fails (a bug; simulated with a malformed internal message) and restarts, which stops its call actors:
    /// what waited in a call actor's mailbox, told straight to it, goes to dead letters when it stops. Each of those
    /// callers hears at once that its command was not run, instead of waiting for <c>AskTimeout</c>; the call's next
    /// command reaches a new actor. A webhook that waited there is routed again.
    /// </summary>
    [Fact]
    public async Task Commands_waiting_in_a_call_actor_s_mailbox_when_its_registry_restarts_are_answered_not_run()
    {
        using var held = new HeldSend("p"); // the play's request holds the call actor's thread, then stays on the wire
        _api.Respond = held.Respond;
        var settings = ActorSettings();
        var registry = Sys.ActorOf(CallRegistry.Props(settings, Props.Create(typeof(PlaybackActor), settings)));

        _routes.Send(Play("p"), TestActor, registry);
        held.WaitUntilHeld();
        var pause = CreateTestProbe();
        var stop = CreateTestProbe();
        var webhook = CreateTestProbe();
        _routes.Send(new PausePlay("call-1", "p"), pause.Ref, registry);
        _routes.Send(new StopPlay("call-1", "p"), stop.Ref, registry);
        _routes.Send(new PlayStatusReceived("call-1", "p", ReportedPlayState.Playing, null), webhook.Ref, registry);
        registry.Tell(ListCalls.Instance);
        ExpectMsg<CallList>(); // both commands are in the call actor's mailbox (told straight, or forwarded before this)
        EventFilter.Exception<ArgumentNullException>().ExpectOne(() => registry.Tell(new QueuedMessage(new PausePlay("call-1", "p"), null!), ActorRefs.NoSender));
        held.Release();

        Assert.True(Assert.IsType<PlaybackShutdownException>(ExpectMsg<CommandFailed>().Error).MayHaveBeenApplied); // the play, on the wire when its actor stopped
        var paused = Assert.IsType<PlaybackShutdownException>(pause.ExpectMsg<CommandFailed>(TimeSpan.FromSeconds(5)).Error);
        Assert.Contains("not run", paused.Message, StringComparison.Ordinal);
        Assert.False(paused.MayHaveBeenApplied);
        Assert.Equal("p", paused.ControlId);
        Assert.IsType<PlaybackShutdownException>(stop.ExpectMsg<CommandFailed>(TimeSpan.FromSeconds(5)).Error);
        // Routed again: the call has no actor now, and without a store nothing of it is left: answered as for an unknown call.
        Assert.Equal(WebhookStatus.Ignored, webhook.ExpectMsg<WebhookResult>(TimeSpan.FromSeconds(5)).Status);

        held.Answer.SetResult();
        _routes.Send(Play("q"), TestActor, registry);
        Assert.Equal("q", Assert.IsType<CommandSucceeded>(ExpectMsg<CommandReply>()).Playback.ControlId);
    }

    /// <summary>
    /// A webhook proved that the play on the wire landed (its retries must not send it again); the actor then restarts with
    /// that request still out. The proof is kept until the request is answered: the retry loop still running reads it.
    /// </summary>
    [Fact]
    public async Task The_proof_that_a_request_left_on_the_wire_landed_is_kept_until_that_request_is_answered()
    {
        var gate = new RequestGate();
        _api.Respond = gate.Respond;
        var evidence = new LandedEvidence();
        var settings = ActorSettings() with { Evidence = evidence };
        var actor = Sys.ActorOf(Props.Create(() => new FailingCall(settings)));
        actor.Tell(Play("old"), TestActor);
        var (_, old) = await gate.NextAsync();
        actor.Tell(new PlayStatusReceived("call-1", "old", ReportedPlayState.Playing, null), TestActor);
        ExpectMsg<WebhookResult>();
        Assert.True(evidence.Landed("call-1", "old"));

        actor.Tell("fail");
        Assert.IsType<PlaybackShutdownException>(ExpectMsg<CommandFailed>().Error);
        Assert.True(evidence.Landed("call-1", "old"));
        old.SetResult();
        await AwaitConditionAsync(() => Task.FromResult(!evidence.Landed("call-1", "old")));
    }

    /// <summary>A call actor that fails on "fail" while a request is on the wire.</summary>
    private sealed class FailingCall(PlaybackActorSettings settings) : PlaybackActor("call-1", settings)
    {
        protected override bool ReceiveBusy(object message) => message is "fail" ? throw new InvalidOperationException("a bug") : base.ReceiveBusy(message);
    }
}
