using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Playback.Tests;

/// <summary>
/// A call that ends while its passivation is under way (the registry's <see cref="StopIfIdle"/> waits behind the request
/// that then finds the call gone): the actor still stops, and the call's next messages reach a successor.
/// </summary>
public sealed class GoneWhilePassivatingTests() : TestKit("akka.loglevel = WARNING")
{
    private readonly CallRoutes _routes = new();
    private readonly FakeCallingApi _api = new();

    [Fact]
    public async Task A_call_that_ends_while_its_passivation_waits_for_a_request_still_stops_and_its_next_command_is_answered()
    {
        var gate = new RequestGate();
        _api.Respond = gate.Respond;
        var settings = new PlaybackActorSettings(_api, new PlaybackEventHub(null, _ => { }), new PlaybackCounters(), TimeSpan.FromHours(1), TimeSpan.Zero, CancellationToken.None)
        {
            Routes = _routes,
        };
        var registry = Sys.ActorOf(CallRegistry.Props(settings, Props.Create(typeof(PlaybackActor), settings)));
        var play = new StartPlay("call-1", "p", ImmutableArray.Create<MediaItem>(Media.Tts("Hello")), new PlayOptions { ControlId = "p" });

        _routes.Send(play, TestActor, registry);
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
}
