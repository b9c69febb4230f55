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
        EventFilter.Exception<ArgumentNullException>().ExpectOne(() => manager.CallRegistryActor.Tell(new QueuedMessage(new PausePlay("call-1", "p"), null!)));
        held.Release();

        await Assert.ThrowsAsync<PlaybackShutdownException>(() => Within10s(play));
        foreach (var waiting in new[] { pause, volume })
        {
            var error = await Assert.ThrowsAsync<PlaybackShutdownException>(() => Within10s(waiting)); // AskTimeout is 20 s
            Assert.Contains("was not run", error.Message, StringComparison.Ordinal);
            Assert.Equal("call-1", error.CallId);
        }

        Assert.DoesNotContain(Api.Requests, r => r.Command != CallingApi.Commands.Play);
        var next = manager.PlayAsync("call-1", Hello, new PlayOptions { ControlId = "q" });
        manager.CallRegistryActor.Tell(ListCalls.Instance, TestActor);
        Assert.Equal(["call-1"], ExpectMsg<CallList>().CallIds); // the new actor has the play
        held.Answer.SetResult(); // the predecessor's play is answered: only now may the next one go out
        Assert.Equal(PlaybackState.Playing, (await Within10s(next)).Current);
        Assert.Equal(["p", "q"], Api.Requests.Select(r => r.ControlId));
        Assert.Equal(1, Api.MaxInFlightPerCall);
    }
}
