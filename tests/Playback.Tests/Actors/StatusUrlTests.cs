using Akka.TestKit;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// Invariant 6 of issue 12: a play that no webhook will ever report on is refused, unless untracked plays are allowed;
/// then the handle says so and the play stays Playing (no watchdog) until it is stopped or the call ends.
/// </summary>
public sealed class StatusUrlTests(ITestOutputHelper output)
    : PlaybackSpec(output, "akka.loglevel = WARNING\nakka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private static readonly Uri HookUrl = new("https://app.example.com/status");

    private static readonly PlaybackSettings Strict = Settings with { AllowUntrackedPlays = false };

    // A watchdog that would fire within the time the tests move, if an untracked play had one.
    private static readonly PlaybackSettings Untracked = Settings with { StatusTimeout = TimeSpan.FromMinutes(1), IdleTimeout = TimeSpan.FromHours(1) };

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    [Fact]
    public async Task A_play_without_any_status_url_is_refused_naming_status_url_and_the_settings_that_provide_one_before_anything_is_sent()
    {
        await using var manager = CreateManager(Strict);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => manager.PlayAsync("call-s1", Hello));

        Assert.Equal("status_url", e.ParamName);
        foreach (var name in new[] { "PlaybackSettings.DefaultStatusUrl", "PlayOptions.StatusUrl", "PublicBaseUrl", "PLAYBACK_STATUS_URL", "PlaybackSettings.AllowUntrackedPlays" })
        {
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
        }

        Assert.Empty(Api.Requests);
        Assert.Equal(0, manager.Statistics.ActiveCalls);
        Assert.Empty(manager.Snapshot("call-s1"));
    }

    [Fact]
    public async Task A_status_url_from_the_settings_or_the_options_makes_a_tracked_play_that_sends_it()
    {
        var other = new Uri("https://other.example.com/hooks");
        await using var manager = CreateManager(Strict with { DefaultStatusUrl = HookUrl });

        var byDefault = await Within10s(manager.PlayAsync("call-s2", Hello));
        var byOption = await Within10s(manager.PlayAsync("call-s3", Hello, new PlayOptions { StatusUrl = other }));

        Assert.True(byDefault.IsTracked);
        Assert.True(byOption.IsTracked);
        Assert.Equal([HookUrl, other], Api.Requests.Select(r => r.Options!.StatusUrl));
    }

    [Fact]
    public async Task An_untracked_play_says_so_and_stays_playing_without_a_watchdog_until_stopped_then_completes()
    {
        await using var manager = CreateManager(Untracked);
        var handle = await Within10s(manager.PlayAsync("call-u1", Hello));
        Assert.False(handle.IsTracked);
        Assert.Null(Api.Requests.Single().Options!.StatusUrl);

        await BarrierAsync(manager, "call-u1");
        Clock.Advance(TimeSpan.FromMinutes(30));
        await BarrierAsync(manager, "call-u1");

        Assert.Equal(PlaybackState.Playing, handle.Current);
        Assert.False(handle.Completion.IsCompleted);
        await handle.StopAsync();
        var outcome = await Within10s(handle.Completion);
        Assert.Equal(PlaybackState.Stopped, outcome.State);
    }

    [Fact]
    public async Task An_untracked_play_completes_when_the_call_ends()
    {
        await using var manager = CreateManager(Untracked);
        var handle = await Within10s(manager.PlayAsync("call-u2", Hello));

        await Within10s(manager.HandleWebhookAsync(HookUrl.AbsoluteUri, NoHeaders, CallStateWebhook("call-u2", "ended")));

        var outcome = await Within10s(handle.Completion);
        Assert.Equal(PlaybackState.Failed, outcome.State);
    }

    /// <summary>A round trip through the call actor: whatever reached its mailbox before (fired timers) has been handled.</summary>
    private static async Task BarrierAsync(PlaybackManager manager, string callId) =>
        Assert.Equal(WebhookStatus.Accepted, (await Within10s(manager.HandleWebhookAsync(HookUrl.AbsoluteUri, NoHeaders, CallStateWebhook(callId, "answered")))).Status);
}
