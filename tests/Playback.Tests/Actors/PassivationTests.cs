using Akka.TestKit;
using Xunit.Abstractions;

namespace Playback.Tests;

public sealed class PassivationTests(ITestOutputHelper output)
    : PlaybackSpec(output, "akka.loglevel = WARNING\nakka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private static readonly PlaybackSettings Idle = Settings with { IdleTimeout = TimeSpan.FromMinutes(2) };

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    /// <summary>Plays on <paramref name="callId"/>, stops it, and lets the idle timeout pass until the call's actor is gone.</summary>
    private async Task<PlaybackHandle> PlayStopAndPassivateAsync(PlaybackManager manager, string callId)
    {
        var handle = await Within10s(manager.PlayAsync(callId, Hello));
        await handle.StopAsync();
        Clock.Advance(TimeSpan.FromMinutes(3));
        await AwaitAssertAsync(() => Assert.Equal(0, manager.Statistics.ActiveCalls));
        return handle;
    }

    [Fact]
    public async Task An_idle_call_actor_stops_after_the_idle_timeout_and_not_before()
    {
        await using var manager = CreateManager(Idle);
        var handle = await Within10s(manager.PlayAsync("call-p", Hello));
        await handle.StopAsync();
        Assert.Equal(1, manager.Statistics.ActiveCalls);

        Clock.Advance(TimeSpan.FromSeconds(119));
        await Task.Delay(50);
        Assert.Equal(1, manager.Statistics.ActiveCalls);

        Clock.Advance(TimeSpan.FromSeconds(2));
        await AwaitAssertAsync(() => Assert.Equal(0, manager.Statistics.ActiveCalls));
    }

    [Fact]
    public async Task A_command_within_the_idle_timeout_starts_the_wait_again()
    {
        await using var manager = CreateManager(Idle);
        var first = await Within10s(manager.PlayAsync("call-again-idle", Hello));
        await first.StopAsync();
        Clock.Advance(TimeSpan.FromSeconds(100));
        var second = await Within10s(manager.PlayAsync("call-again-idle", Hello));
        await second.StopAsync();

        // 200 s after the first stop (when the call's first idle check comes), 100 s after the second: still there.
        Clock.Advance(TimeSpan.FromSeconds(100));
        await Task.Delay(50);
        Assert.Equal(1, manager.Statistics.ActiveCalls);

        Clock.Advance(TimeSpan.FromSeconds(21));
        await AwaitAssertAsync(() => Assert.Equal(0, manager.Statistics.ActiveCalls));
    }

    [Fact]
    public async Task A_call_with_an_active_playback_is_never_passivated()
    {
        await using var manager = CreateManager(Idle);
        var handle = await Within10s(manager.PlayAsync("call-active", Hello));

        Clock.Advance(TimeSpan.FromMinutes(30));
        await Task.Delay(50);

        Assert.Equal(1, manager.Statistics.ActiveCalls);
        Assert.Equal(PlaybackState.Paused, (await handle.PauseAsync()).State);
    }

    [Fact]
    public async Task A_command_after_passivation_starts_a_fresh_actor_that_answers()
    {
        await using var manager = CreateManager(Idle);
        await PlayStopAndPassivateAsync(manager, "call-again");

        var next = await Within10s(manager.PlayAsync("call-again", Hello));

        Assert.Equal(PlaybackState.Playing, next.Current);
        Assert.Equal(1, manager.Statistics.ActiveCalls);
    }

    [Theory]
    [InlineData("0f3c1c5e-8d1b-4c8e-9a55-3c1f7b2d9e41")]
    [InlineData("$call/1 ?#%41+&")]
    [InlineData("appel-été")]
    [InlineData(".")]
    [InlineData("..")]
    public async Task Any_call_id_gets_its_own_actor_named_after_it_and_a_fresh_one_after_passivation(string callId)
    {
        // A call's actor is named after its call id (escaped as an actor name) and reads the call id back from its name.
        await using var manager = CreateManager(Idle);
        await PlayStopAndPassivateAsync(manager, callId);

        var next = await Within10s(manager.PlayAsync(callId, Hello));
        var paused = await Within10s(next.PauseAsync());

        Assert.Equal(callId, paused.CallId);
        Assert.Equal(PlaybackState.Paused, paused.State);
        Assert.Equal([callId], Api.Requests.Select(r => r.CallId).Distinct());
        Assert.Equal([CallingApi.Commands.Play, CallingApi.Commands.Stop, CallingApi.Commands.Play, CallingApi.Commands.Pause], Api.Requests.Select(r => r.Command));
        Assert.Equal(1, manager.Statistics.ActiveCalls);
    }

    [Fact]
    public async Task Webhooks_do_not_keep_alive_or_recreate_a_passivated_call()
    {
        await using var manager = CreateManager(Idle);
        var handle = await PlayStopAndPassivateAsync(manager, "call-w");

        var late = await manager.HandleWebhookAsync("https://app.example.com/hook", NoHeaders, PlayWebhook("call-w", handle.ControlId, "finished"));

        Assert.Equal(WebhookStatus.Ignored, late.Status);
        Assert.Equal(0, manager.Statistics.ActiveCalls);
    }
}
