using Akka.TestKit;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// A play whose outcome is unknown, through the call actor on virtual time: it is stopped before it is reported failed;
/// when that stop's outcome is unknown too, it stays tracked as playing and the stop is tried again until the server
/// settles it. Nothing reported failed is ever left playing.
/// </summary>
public sealed class UnconfirmedPlayTests(ITestOutputHelper output)
    : PlaybackSpec(output, "akka.loglevel = WARNING\nakka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private const string HookUrl = "https://app.example.com/status";

    private static readonly PlaybackSettings Quiet = Settings with { IdleTimeout = TimeSpan.FromHours(1), SettleRetryDelay = TimeSpan.FromSeconds(5) };

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    [Fact]
    public async Task A_play_lost_with_its_settling_stop_stays_playing_and_its_stop_is_tried_again_until_the_server_answers()
    {
        var answers = new Queue<Func<FakeRequest, Exception?>>(
        [
            r => Lost(r, transient: false), // calling.play: the retry was refused after an attempt whose answer was lost
            r => Lost(r, transient: true), // the settling stop: no answer either
            r => Lost(r, transient: true), // tried again 5 s later: still nothing
            _ => null, // and again: accepted, so it is stopped
        ]);
        Api.Respond = r =>
        {
            var error = answers.Dequeue()(r);
            return error is null ? Task.CompletedTask : Task.FromException(error);
        };
        await using var manager = CreateManager(Quiet);

        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => Within10s(manager.PlayAsync("call-u", Hello, new PlayOptions { ControlId = "p" })));

        Assert.True(error.MayHaveBeenApplied);
        var live = Assert.Single(manager.Snapshot("call-u"));
        Assert.Equal(PlaybackState.Playing, live.State);
        Assert.Contains("unconfirmed", live.Reason);
        Assert.Equal([CallingApi.Commands.Play, CallingApi.Commands.Stop], Api.Requests.Select(r => r.Command));

        await AdvanceAsync(manager, "call-u", TimeSpan.FromSeconds(5));
        Assert.Equal(3, Api.Requests.Count);
        Assert.Equal(PlaybackState.Playing, Assert.Single(manager.Snapshot("call-u")).State);

        await AdvanceAsync(manager, "call-u", TimeSpan.FromSeconds(5));
        Assert.Equal(4, Api.Requests.Count);
        Assert.All(Api.Requests.Skip(1), r => Assert.Equal((CallingApi.Commands.Stop, "p"), (r.Command, r.ControlId)));
        await AwaitAssertAsync(() => Assert.Empty(manager.Snapshot("call-u")));

        await AdvanceAsync(manager, "call-u", TimeSpan.FromMinutes(1));
        Assert.Equal(4, Api.Requests.Count);
    }

    [Fact]
    public async Task A_play_whose_request_was_cancelled_while_out_is_stopped_before_it_is_reported_failed()
    {
        // An ICallingApi's own timeout (HttpClient's is a TaskCanceledException), or Playback's shutdown cancelling the
        // request: it may have been applied, so it is settled like any unknown outcome, never just reported failed.
        var answers = new Queue<Func<FakeRequest, Exception?>>([_ => new TaskCanceledException("the client gave up"), _ => null]);
        Api.Respond = r => answers.Dequeue()(r) is { } e ? Task.FromException(e) : Task.CompletedTask;
        await using var manager = CreateManager(Quiet);

        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => Within10s(manager.PlayAsync("call-c", Hello, new PlayOptions { ControlId = "p" })));

        Assert.True(error.MayHaveBeenApplied);
        Assert.IsType<TaskCanceledException>(error.InnerException);
        Assert.Equal([CallingApi.Commands.Play, CallingApi.Commands.Stop], Api.Requests.Select(r => r.Command));
        await AwaitAssertAsync(() => Assert.Empty(manager.Snapshot("call-c")));
    }

    [Fact]
    public async Task A_playing_webhook_confirms_an_unconfirmed_play_and_no_further_stop_is_sent()
    {
        var answers = new Queue<Func<FakeRequest, Exception?>>([r => Lost(r, transient: false), r => Lost(r, transient: true)]);
        Api.Respond = r => answers.TryDequeue(out var answer) && answer(r) is { } e ? Task.FromException(e) : Task.CompletedTask;
        await using var manager = CreateManager(Quiet);
        await Assert.ThrowsAnyAsync<CallingApiException>(() => Within10s(manager.PlayAsync("call-c", Hello, new PlayOptions { ControlId = "p" })));

        await manager.HandleWebhookAsync(HookUrl, NoHeaders, PlayWebhook("call-c", "p", "playing"));
        await AdvanceAsync(manager, "call-c", TimeSpan.FromSeconds(30));

        Assert.Equal(2, Api.Requests.Count);
        Assert.Equal(PlaybackState.Playing, Assert.Single(manager.Snapshot("call-c")).State);
    }

    [Fact]
    public async Task The_settling_stop_is_sent_again_after_SettleRetryDelay_and_not_before()
    {
        var answers = new Queue<Func<FakeRequest, Exception?>>([r => Lost(r, transient: false), r => Lost(r, transient: true)]);
        Api.Respond = r => answers.TryDequeue(out var answer) && answer(r) is { } e ? Task.FromException(e) : Task.CompletedTask;
        await using var manager = CreateManager(Quiet with { SettleRetryDelay = TimeSpan.FromSeconds(20) });
        await Assert.ThrowsAnyAsync<CallingApiException>(() => Within10s(manager.PlayAsync("call-d", Hello, new PlayOptions { ControlId = "p" })));

        await AdvanceAsync(manager, "call-d", TimeSpan.FromSeconds(19));
        Assert.Equal(2, Api.Requests.Count);

        await AdvanceAsync(manager, "call-d", TimeSpan.FromSeconds(1));
        Assert.Equal(3, Api.Requests.Count);
        await AwaitAssertAsync(() => Assert.Empty(manager.Snapshot("call-d")));
    }

    private static CallingApiException Lost(FakeRequest r, bool transient) =>
        new(r.Command, r.CallId, r.ControlId, transient ? null : 422, transient ? "no success within the command deadline" : null, null, null, transient)
        {
            MayHaveBeenApplied = true,
        };

    private static async Task BarrierAsync(PlaybackManager manager, string callId) =>
        Assert.Equal(WebhookStatus.Accepted, (await Within10s(manager.HandleWebhookAsync(HookUrl, [], CallStateWebhook(callId, "answered")))).Status);

    private async Task AdvanceAsync(PlaybackManager manager, string callId, TimeSpan by)
    {
        await BarrierAsync(manager, callId);
        Clock.Advance(by);
        await BarrierAsync(manager, callId);
    }
}
