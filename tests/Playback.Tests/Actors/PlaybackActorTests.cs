using Akka.Actor;
using Xunit.Abstractions;

namespace Playback.Tests;

public sealed class PlaybackActorTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    /// <summary>Holds every request of the fake API until the test answers it.</summary>
    private RequestGate GateRequests()
    {
        var gate = new RequestGate();
        Api.Respond = gate.Respond;
        return gate;
    }

    /// <summary>Plays <paramref name="controlId"/> on <paramref name="callId"/> and lets the gated play request succeed.</summary>
    private async Task<PlaybackHandle> PlayAcknowledgedAsync(PlaybackManager manager, RequestGate gate, string callId, string controlId)
    {
        var play = manager.PlayAsync(callId, Hello, new PlayOptions { ControlId = controlId });
        (await gate.NextAsync()).Done.SetResult();
        return await Within10s(play);
    }

    [Fact]
    public async Task Play_then_controls_reach_the_api_and_report_each_state()
    {
        await using var manager = CreateManager();

        var handle = await Within10s(manager.PlayAsync("call-1", [Media.Tts("Please hold"), Media.Silence(1)], new PlayOptions { Volume = -3, Loop = 0 }));
        Assert.Equal(PlaybackState.Playing, handle.Current);
        Assert.Equal(-3, handle.Volume);
        Assert.True(Guid.TryParse(handle.ControlId, out _), "a UUID control id is generated");

        Assert.Equal(PlaybackState.Paused, (await handle.PauseAsync()).State);
        Assert.Equal(PlaybackState.Playing, (await handle.ResumeAsync()).State);
        Assert.Equal(6, (await handle.SetVolumeAsync(6)).Volume);
        Assert.Equal(PlaybackState.Stopped, (await handle.StopAsync()).State);

        var outcome = await Within10s(handle.Completion);
        Assert.Equal(PlaybackState.Stopped, outcome.State);
        Assert.Equal(
            [CallingApi.Commands.Play, CallingApi.Commands.Pause, CallingApi.Commands.Resume, CallingApi.Commands.Volume, CallingApi.Commands.Stop],
            Api.Requests.Select(r => r.Command));
        Assert.All(Api.Requests, r => Assert.Equal(handle.ControlId, r.ControlId));
    }

    [Fact]
    public async Task Hundred_commands_on_one_call_reach_the_api_in_send_order_one_at_a_time()
    {
        Api.Respond = async _ => await Task.Delay(1);
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-order", Hello, new PlayOptions { Loop = 0 }));

        // One sender issuing without waiting: the send order is the issue order.
        var volumes = Enumerable.Range(0, 100).Select(i => (double)(i % 81) - 40).ToList();
        var tasks = volumes.Select(v => manager.SetVolumeAsync("call-order", handle.ControlId, v)).ToList();
        await Within10s(Task.WhenAll(tasks));

        var sent = Api.Requests.Where(r => r.Command == CallingApi.Commands.Volume).Select(r => r.Volume!.Value).ToList();
        Assert.Equal(volumes, sent);
        Assert.Equal(1, Api.MaxInFlightPerCall);
        Assert.Equal(volumes[^1], handle.Volume);
    }

    [Fact]
    public async Task Commands_from_many_tasks_are_never_two_in_flight_for_one_call_and_keep_each_senders_order()
    {
        Api.Respond = async _ => await Task.Delay(1);
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-many", Hello, new PlayOptions { Loop = 0 }));

        var senders = Enumerable.Range(0, 10).Select(s => Task.Run(async () =>
        {
            var mine = new List<Task>();
            for (var i = 0; i < 10; i++)
            {
                mine.Add(manager.SetVolumeAsync("call-many", handle.ControlId, s + (i / 100.0)));
            }

            await Task.WhenAll(mine);
        })).ToList();
        await Within10s(Task.WhenAll(senders));

        var sent = Api.Requests.Where(r => r.Command == CallingApi.Commands.Volume).Select(r => r.Volume!.Value).ToList();
        Assert.Equal(100, sent.Count);
        Assert.Equal(1, Api.MaxInFlightPerCall);
        for (var s = 0; s < 10; s++)
        {
            var mine = sent.Where(v => Math.Floor(v) == s).ToList();
            Assert.Equal(mine.OrderBy(v => v), mine);
        }
    }

    [Fact]
    public async Task Different_calls_run_their_requests_concurrently()
    {
        var gate = GateRequests();
        await using var manager = CreateManager();

        var a = manager.PlayAsync("call-a", Hello);
        var b = manager.PlayAsync("call-b", Hello);
        var first = await gate.NextAsync();
        var second = await gate.NextAsync();
        Assert.Equal(new[] { "call-a", "call-b" }.Order(), new[] { first.Request.CallId, second.Request.CallId }.Order());

        first.Done.SetResult();
        second.Done.SetResult();
        await Within10s(Task.WhenAll(a, b));
    }

    [Fact]
    public async Task Pause_while_paused_succeeds_without_a_request()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-idem", Hello));
        await handle.PauseAsync();
        var count = Api.Requests.Count;

        var again = await handle.PauseAsync();

        Assert.Equal(PlaybackState.Paused, again.State);
        Assert.Equal(count, Api.Requests.Count);
    }

    [Fact]
    public async Task Commands_for_an_unknown_playback_fail_without_a_request()
    {
        await using var manager = CreateManager();

        var error = await Assert.ThrowsAsync<PlaybackStateException>(() => manager.PauseAsync("call-none", "nope"));

        Assert.Contains("no active playback", error.Message);
        Assert.Equal("call-none", error.CallId);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public async Task A_refused_play_fails_the_playback_and_throws_the_api_error()
    {
        Api.Respond = r => Task.FromException(FakeCallingApi.Error(r, 422, "url: is not reachable"));
        await using var manager = CreateManager();
        var failed = new List<PlaybackEvent>();
        using var sub = manager.Events.Subscribe(failed.Add);

        var error = await Assert.ThrowsAsync<CallingApiException>(() => manager.PlayAsync("call-422", Hello, new PlayOptions { ControlId = "c-422" }));

        Assert.Equal(422, error.StatusCode);
        await AwaitAssertAsync(() => Assert.Contains(failed.ToList(), e => e.ControlId == "c-422" && e.State == PlaybackState.Failed));
        Assert.Empty(manager.Snapshot("call-422"));
    }

    [Fact]
    public async Task A_404_on_a_play_ends_every_playback_and_fails_the_commands_waiting_behind_it()
    {
        var gate = GateRequests();
        await using var manager = CreateManager();
        var handle = await PlayAcknowledgedAsync(manager, gate, "call-gone", "p1");
        var queued = await Within10s(manager.PlayAsync("call-gone", Hello, new PlayOptions { ControlId = "p2" }));
        await manager.HandleWebhookAsync("https://app.example.com/hook", NoHeaders, PlayWebhook("call-gone", "p1", "finished"));

        var waiting = manager.PauseAsync("call-gone", "p2");
        var (request, done) = await gate.NextAsync();
        Assert.Equal((CallingApi.Commands.Play, "p2"), (request.Command, request.ControlId));
        done.SetException(FakeCallingApi.Error(request, 404));

        await Assert.ThrowsAsync<CallGoneException>(() => Within10s(waiting));
        var outcome = await Within10s(queued.Completion);
        Assert.Equal(PlaybackState.Failed, outcome.State);
        Assert.Contains("call gone", outcome.Reason);
        Assert.Equal(PlaybackState.Finished, (await Within10s(handle.Completion)).State);
        Assert.Equal(2, Api.Requests.Count);
        await AwaitAssertAsync(() => Assert.Equal(0, manager.Statistics.ActiveCalls));
    }

    [Fact]
    public async Task A_404_on_a_pause_ends_that_playback_only_and_the_call_goes_on()
    {
        var gate = GateRequests();
        await using var manager = CreateManager();
        var handle = await PlayAcknowledgedAsync(manager, gate, "call-404", "p1");

        var pause = manager.PauseAsync("call-404", "p1");
        var waiting = manager.StopAsync("call-404", "p1");
        var (request, done) = await gate.NextAsync();
        done.SetException(FakeCallingApi.Error(request, 404));

        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => Within10s(pause));
        Assert.IsNotType<CallGoneException>(error);
        Assert.Equal(404, error.StatusCode);
        await Assert.ThrowsAsync<PlaybackStateException>(() => Within10s(waiting));
        var outcome = await Within10s(handle.Completion);
        Assert.Equal(PlaybackState.Failed, outcome.State);
        Assert.Contains("404", outcome.Reason);

        var next = manager.PlayAsync("call-404", Hello, new PlayOptions { ControlId = "p2" });
        (await gate.NextAsync()).Done.SetResult();
        Assert.Equal(PlaybackState.Playing, (await Within10s(next)).Current);
        Assert.Equal(3, Api.Requests.Count);
    }

    [Fact]
    public async Task Enqueued_play_starts_when_the_current_one_finishes()
    {
        await using var manager = CreateManager();
        var first = await Within10s(manager.PlayAsync("call-q", Hello, new PlayOptions { ControlId = "first" }));
        var second = await Within10s(manager.PlayAsync("call-q", [Media.Audio("https://example.com/hold.mp3")], new PlayOptions { ControlId = "second" }));
        Assert.Equal(PlaybackState.Queued, second.Current);
        Assert.Single(Api.Requests);

        var result = await manager.HandleWebhookAsync("https://app.example.com/hook", NoHeaders, PlayWebhook("call-q", "first", "finished"));

        Assert.Equal(WebhookStatus.Accepted, result.Status);
        Assert.Equal(PlaybackState.Finished, (await Within10s(first.Completion)).State);
        await AwaitAssertAsync(() => Assert.Equal(PlaybackState.Playing, second.Current));
        Assert.Equal(["first", "second"], Api.Requests.Select(r => r.ControlId));
    }

    [Fact]
    public async Task Replace_stops_the_current_playback_then_starts_the_new_one()
    {
        await using var manager = CreateManager();
        var first = await Within10s(manager.PlayAsync("call-r", Hello, new PlayOptions { ControlId = "old" }));

        var second = await Within10s(manager.PlayAsync("call-r", Hello, new PlayOptions { ControlId = "new", WhenBusy = PlayConflict.Replace }));

        Assert.Equal(PlaybackState.Stopped, (await Within10s(first.Completion)).State);
        Assert.Equal(PlaybackState.Playing, second.Current);
        Assert.Equal([CallingApi.Commands.Play, CallingApi.Commands.Stop, CallingApi.Commands.Play], Api.Requests.Select(r => r.Command));
    }

    [Fact]
    public async Task Reject_refuses_a_play_while_the_call_is_busy()
    {
        await using var manager = CreateManager();
        await Within10s(manager.PlayAsync("call-x", Hello));

        var error = await Assert.ThrowsAsync<PlaybackStateException>(() => manager.PlayAsync("call-x", Hello, new PlayOptions { WhenBusy = PlayConflict.Reject }));

        Assert.Contains("Reject", error.Message);
        Assert.Single(Api.Requests);
    }

    [Fact]
    public async Task Invalid_input_never_reaches_the_actor_or_the_wire()
    {
        await using var manager = CreateManager();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => manager.PlayAsync("call-bad", [Media.Tts("a"), Media.Tts("b"), new SilenceMedia(0)]));
        Assert.Equal("media[2].duration", error.ParamName);
        await Assert.ThrowsAsync<ArgumentException>(() => manager.SetVolumeAsync("call-bad", "c", 41));
        await Assert.ThrowsAsync<ArgumentException>(() => manager.PlayAsync("call-bad", Hello, new PlayOptions { ControlId = "has space" }));
        await Assert.ThrowsAsync<ArgumentException>(() => manager.PlayAsync(" ", Hello));

        Assert.Empty(Api.Requests);
        Assert.Equal(0, manager.Statistics.ActiveCalls);
    }

    [Fact]
    public async Task Shutdown_gives_the_in_flight_and_the_waiting_commands_one_failure_each()
    {
        var gate = GateRequests();
        var manager = CreateManager();
        var play = manager.PlayAsync("call-s", Hello, new PlayOptions { ControlId = "s1" });
        await gate.NextAsync();
        var waiting = manager.PauseAsync("call-s", "s1");

        await manager.DisposeAsync();

        await Assert.ThrowsAsync<PlaybackShutdownException>(() => Within10s(play));
        await Assert.ThrowsAsync<PlaybackShutdownException>(() => Within10s(waiting));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => manager.PauseAsync("call-s", "s1"));
    }

    [Fact]
    public async Task A_call_ended_webhook_ends_its_playbacks_and_later_commands_fail_as_gone()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-end", Hello));

        var result = await manager.HandleWebhookAsync("https://app.example.com/hook", NoHeaders, CallStateWebhook("call-end", "ended"));

        Assert.Equal(WebhookStatus.Accepted, result.Status);
        var outcome = await Within10s(handle.Completion);
        Assert.Equal(PlaybackState.Failed, outcome.State);
        Assert.Equal("call ended", outcome.Reason);
    }

    [Fact]
    public async Task A_webhook_for_an_unknown_call_is_counted_and_creates_no_actor()
    {
        await using var manager = CreateManager();

        var result = await manager.HandleWebhookAsync("https://app.example.com/hook", NoHeaders, PlayWebhook("nobody", "c", "playing"));

        Assert.Equal(WebhookStatus.Ignored, result.Status);
        Assert.Equal(1, manager.Statistics.WebhooksForUnknownCalls);
        Assert.Equal(0, manager.Statistics.ActiveCalls);
    }

    [Fact]
    public async Task An_api_that_throws_synchronously_still_gives_one_reply()
    {
        Api.Respond = _ => throw new InvalidOperationException("boom");
        await using var manager = CreateManager();

        var error = await Assert.ThrowsAsync<CallingApiException>(() => Within10s(manager.PlayAsync("call-throw", Hello)));

        Assert.Null(error.StatusCode);
        Assert.Contains("boom", error.Message);
    }
}
