using Akka.Actor;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>The call registry fails and restarts (a bug in Playback; simulated with a malformed internal message) while commands wait.</summary>
public sealed class RegistryRestartTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    /// <summary>
    /// Commands the facade told straight to a call's actor, still in its mailbox when the restart stops that actor, fail at
    /// once as not run (their promises would otherwise wait for <c>AskTimeout</c>). The call's next play runs on a new actor,
    /// which sends it only once the play its predecessor left on the wire is answered: one request per call at a time.
    /// </summary>
    [Fact]
    public async Task Commands_a_registry_restart_leaves_in_a_stopped_call_actor_s_mailbox_fail_as_not_run_at_once()
    {
        using var held = new HeldSend("p"); // the play's request holds the call actor's thread, then stays on the wire
        Api.Respond = held.Respond;
        await using var manager = CreateManager();

        var play = manager.PlayAsync("call-1", Hello, new PlayOptions { ControlId = "p" });
        held.WaitUntilHeld();
        var pause = manager.PauseAsync("call-1", "p");
        var volume = manager.SetVolumeAsync("call-1", "p", 3);
        manager.CallRegistryActor.Tell(ListCalls.Instance, TestActor);
        ExpectMsg<CallList>(); // both commands are in the call actor's mailbox
        RestartRegistry(manager);
        held.Release();

        Assert.True((await Assert.ThrowsAsync<PlaybackShutdownException>(() => Within10s(play))).MayHaveBeenApplied);
        foreach (var waiting in new[] { pause, volume })
        {
            var error = await Assert.ThrowsAsync<PlaybackShutdownException>(() => Within10s(waiting)); // AskTimeout is 20 s
            Assert.Contains("was not run", error.Message, StringComparison.Ordinal);
            Assert.False(error.MayHaveBeenApplied);
            Assert.Equal("call-1", error.CallId);
        }

        Assert.DoesNotContain(Api.Requests, r => r.Command != CallingApi.Commands.Play);
        var next = manager.PlayAsync("call-1", Hello, new PlayOptions { ControlId = "q" });
        await FoundAsync(manager, "q"); // the new actor has decided the play, and waits
        Assert.Equal(["p"], Api.Requests.Select(r => r.ControlId));
        held.Answer.SetResult(); // the predecessor's play is answered: only now may the next one go out
        Assert.Equal(PlaybackState.Playing, (await Within10s(next)).Current);
        Assert.Equal(["p", "q"], Api.Requests.Select(r => r.ControlId));
        Assert.Equal(1, Api.MaxInFlightPerCall);
    }

    /// <summary>
    /// A request that waits for the one an earlier actor of the call left on the wire is withdrawn when its own actor stops
    /// (a second restart) before that one is answered: its caller hears that nothing was sent, and it never goes out.
    /// </summary>
    [Fact]
    public async Task A_request_waiting_for_an_earlier_actor_s_is_withdrawn_when_its_actor_stops_and_its_caller_hears_nothing_was_sent()
    {
        using var held = new HeldSend("p");
        Api.Respond = held.Respond;
        await using var manager = CreateManager();
        var play = manager.PlayAsync("call-1", Hello, new PlayOptions { ControlId = "p" });
        held.WaitUntilHeld();
        held.Release();
        RestartRegistry(manager);
        await Assert.ThrowsAsync<PlaybackShutdownException>(() => Within10s(play));

        var waiting = manager.PlayAsync("call-1", Hello, new PlayOptions { ControlId = "q" });
        await FoundAsync(manager, "q");
        RestartRegistry(manager);
        var error = await Assert.ThrowsAsync<PlaybackShutdownException>(() => Within10s(waiting));
        Assert.Contains("Nothing was sent", error.Message, StringComparison.Ordinal);

        held.Answer.SetResult();
        var next = await Within10s(manager.PlayAsync("call-1", Hello, new PlayOptions { ControlId = "r" }));
        Assert.Equal(PlaybackState.Playing, next.Current);
        Assert.Equal(["p", "r"], Api.Requests.Select(r => r.ControlId));
    }

    /// <summary>The message whose handling made the registry throw (Akka's restart drops it) is answered at once as not run, as long as it had not been handed on.</summary>
    [Fact]
    public async Task The_command_whose_routing_made_the_registry_throw_is_answered_as_not_run()
    {
        await using var manager = CreateManager();
        var sender = CreateTestProbe();

        EventFilter.Exception<ArgumentNullException>().ExpectOne(() => manager.CallRegistryActor.Tell(new QueuedMessage(new PausePlay("call-1", "p"), null!), sender.Ref));

        var error = Assert.IsType<PlaybackShutdownException>(sender.ExpectMsg<CommandFailed>().Error);
        Assert.Contains("registry failed while routing it", error.Message, StringComparison.Ordinal);
        Assert.Equal(("call-1", "p"), (error.CallId, error.ControlId));
        Assert.Empty(Api.Requests);
    }

    private void RestartRegistry(PlaybackManager manager) =>
        EventFilter.Exception<ArgumentNullException>().ExpectOne(() => manager.CallRegistryActor.Tell(new QueuedMessage(new PausePlay("call-1", "p"), null!), ActorRefs.NoSender));

    /// <summary>Waits until the call's actor knows <paramref name="controlId"/> (it handles the lookup after the command that made it).</summary>
    private async Task FoundAsync(PlaybackManager manager, string controlId)
    {
        var found = await Within10s(ReplyPromise<FoundPlayback>.SendAsync(manager.Routes!, manager.CallRegistryActor, Sys.DeadLetters.Path, new FindPlayback("call-1", controlId), _ => new FoundPlayback(null, false), TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.NotNull(found.Playback);
    }
}
