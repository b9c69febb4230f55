using System.Text.Json;

namespace Playback.Emulator.Tests;

/// <summary>The journal: every request and webhook, readable from code and over HTTP, the overlap counter, and clearing.</summary>
public sealed class JournalTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const string Long = """[{"type":"silence","params":{"duration":100000}}]""";

    [Fact]
    public async Task The_journal_records_each_request_with_call_command_control_id_body_status_and_clock_time()
    {
        await using var rig = await EmulatorRig.StartAsync(start: new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        var (emu, client, clock) = rig;
        var call = emu.CreateCall();
        var playBody = $$$"""{"id":"{{{call}}}","command":"calling.play","params":{"control_id":"c1","play":[{"type":"silence","params":{"duration":1}}]}}""";

        await client.PostAsync(playBody);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        await client.ControlAsync(call, "calling.play.pause", "c1");
        await client.ControlAsync(call, "calling.play.pause", "nope");
        await client.ControlAsync("ghost", "calling.play.stop", "c1");
        await client.PostAsync("{oops");
        await client.PostAsync(playBody, password: "wrong");

        var requests = emu.Journal.Requests;
        Assert.Equal(6, requests.Count);
        Assert.Equal(new JournalRequest(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero), call, "calling.play", "c1", playBody, 200, null), requests[0]);
        Assert.Equal((call, "calling.play.pause", "c1", 200), (requests[1].CallId, requests[1].Command, requests[1].ControlId, requests[1].Status));
        Assert.Equal(clock.GetUtcNow(), requests[1].Time);
        Assert.Equal(("nope", 422), (requests[2].ControlId, requests[2].Status));
        Assert.Equal(("ghost", "calling.play.stop", 404), (requests[3].CallId, requests[3].Command, requests[3].Status));
        Assert.Equal(("{oops", 400), (requests[4].Body, requests[4].Status));
        Assert.Equal((playBody, 401, (string?)null), (requests[5].Body, requests[5].Status, requests[5].CallId));
    }

    [Fact]
    public async Task An_arrival_is_recorded_before_its_answer_and_only_for_authenticated_parseable_requests()
    {
        await using var rig = await EmulatorRig.StartAsync(start: new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        var (emu, client, clock) = rig;
        var call = emu.CreateCall();
        await client.PostAsync("{oops");
        await client.PostAsync($$$"""{"id":"{{{call}}}","command":"calling.play","params":{"control_id":"c0","play":[{"type":"silence","params":{"duration":1}}]}}""", password: "wrong");
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", LatencyMs = 1000 }] });

        var slow = client.PlayAsync(call, "c1");
        await FaultTests.EventuallyAsync(() => emu.Journal.Arrivals.Count == 1, "the arrival");
        var answeredBefore = emu.Journal.Requests.Count;
        await clock.AdvanceWhenTimerAsync(TimeSpan.FromSeconds(1));
        await slow.WaitAsync(Patience);

        Assert.Equal(2, answeredBefore);
        Assert.Equal(new JournalArrival(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero), call, "calling.play", "c1"), Assert.Single(emu.Journal.Arrivals));
        Assert.True(emu.Journal.Requests[^1].Time >= emu.Journal.Arrivals[0].Time.AddSeconds(1));
        emu.Journal.Clear();
        Assert.Empty(emu.Journal.Arrivals);
    }

    [Fact]
    public async Task The_journal_records_each_webhook_with_its_exact_body_and_outcome()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true);
        var (emu, client, clock, sink) = rig;
        var call = emu.CreateCall(sink.Url);

        await client.PlayAsync(call, "w", """[{"type":"ringtone","params":{"name":"us"}}]""", sink.Url);
        await client.EndAsync(call);
        var received = await sink.WaitForAsync(3, Patience);
        await emu.DrainWebhooksAsync(Patience);

        var webhooks = emu.Journal.Webhooks;
        Assert.Equal(new[] { ("calling.call.play", "playing"), ("calling.call.play", "finished"), ("calling.call.state", "ended") }, webhooks.Select(w => (w.EventType, w.State)));
        Assert.Equal(new[] { "w", "w", null }, webhooks.Select(w => w.ControlId));
        Assert.All(webhooks, w => Assert.Equal((call, sink.Url, "delivered 204"), (w.CallId, w.Url, w.Outcome)));
        Assert.Equal(received.Select(r => r.Text), webhooks.Select(w => w.Body));
    }

    [Fact]
    public async Task GET_journal_returns_requests_webhooks_and_overlaps_as_snake_case_JSON()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true);
        var (emu, client, clock, sink) = rig;
        var call = emu.CreateCall();

        await client.PlayAsync(call, "j", """[{"type":"silence","params":{"duration":1}}]""", sink.Url);
        await sink.WaitForAsync(1, Patience);
        await emu.DrainWebhooksAsync(Patience);
        var journal = await client.JournalAsync();

        var request = Assert.Single(journal.GetProperty("requests").EnumerateArray());
        Assert.Equal(call, request.GetProperty("call_id").GetString());
        Assert.Equal("calling.play", request.GetProperty("command").GetString());
        Assert.Equal("j", request.GetProperty("control_id").GetString());
        Assert.Equal(200, request.GetProperty("status").GetInt32());
        Assert.Equal(emu.Journal.Requests[0].Body, request.GetProperty("body").GetString());
        Assert.Equal(emu.Journal.Requests[0].Time, request.GetProperty("time").GetDateTimeOffset());
        var arrival = Assert.Single(journal.GetProperty("arrivals").EnumerateArray());
        Assert.Equal((call, "calling.play", "j"), (arrival.GetProperty("call_id").GetString(), arrival.GetProperty("command").GetString(), arrival.GetProperty("control_id").GetString()));
        var webhook = Assert.Single(journal.GetProperty("webhooks").EnumerateArray());
        Assert.Equal("calling.call.play", webhook.GetProperty("event_type").GetString());
        Assert.Equal("playing", webhook.GetProperty("state").GetString());
        Assert.Equal(sink.Url, webhook.GetProperty("url").GetString());
        Assert.Equal("delivered 204", webhook.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.String, webhook.GetProperty("body").ValueKind);
        Assert.Equal(0, journal.GetProperty("overlaps").GetInt64());
    }

    [Fact]
    public async Task The_overlap_counter_stays_0_for_sequential_commands_and_for_concurrent_commands_on_different_calls()
    {
        await using var rig = await EmulatorRig.StartAsync();
        var (emu, client, clock) = rig;
        var call = emu.CreateCall();

        await client.PlayAsync(call, "a");
        await client.ControlAsync(call, "calling.play.pause", "a");
        await client.ControlAsync(call, "calling.play.resume", "a");
        await client.ControlAsync(call, "calling.play.stop", "a");
        Assert.Equal(0, emu.Journal.Overlaps);

        var other = emu.CreateCall();
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { CallId = call, LatencyMs = 1000, First = 1 }] });
        var slow = client.PlayAsync(call, "b");
        await FaultTests.EventuallyAsync(() => emu.Faults.Injected == 1);
        Assert.Equal(200, (await client.PlayAsync(other, "c")).Status);
        await clock.AdvanceWhenTimerAsync(TimeSpan.FromSeconds(1));
        await slow.WaitAsync(Patience);

        Assert.Equal(200, (await slow).Status);
        Assert.Equal(0, emu.Journal.Overlaps);
    }

    [Fact]
    public async Task The_overlap_counter_counts_a_second_command_for_a_call_while_the_first_is_in_flight()
    {
        await using var rig = await EmulatorRig.StartAsync();
        var (emu, client, clock) = rig;
        var call = emu.CreateCall();
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", LatencyMs = 1000, First = 1 }] });

        var first = client.PlayAsync(call, "first", Long);
        await FaultTests.EventuallyAsync(() => emu.Faults.Injected == 1);
        var second = await client.PlayAsync(call, "second", Long);
        var overlapsWhileInFlight = emu.Journal.Overlaps;
        var journalOverlaps = (await client.JournalAsync()).GetProperty("overlaps").GetInt64();
        await clock.AdvanceWhenTimerAsync(TimeSpan.FromSeconds(1));
        await first.WaitAsync(Patience);
        await client.ControlAsync(call, "calling.play.stop", "first");

        Assert.Equal(200, second.Status);
        Assert.Equal(200, (await first).Status);
        Assert.Equal(1, overlapsWhileInFlight);
        Assert.Equal(1, journalOverlaps);
        Assert.Equal(1, emu.Journal.Overlaps);
        Assert.Equal(new[] { "second", "first", "first" }, emu.Journal.Requests.Select(r => r.ControlId));
    }

    [Fact]
    public async Task DELETE_journal_clears_requests_webhooks_and_the_overlap_counter()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true);
        var (emu, client, clock, sink) = rig;
        var call = emu.CreateCall();
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", LatencyMs = 1000, First = 1 }] });
        var first = client.PlayAsync(call, "a", Long, sink.Url);
        await FaultTests.EventuallyAsync(() => emu.Faults.Injected == 1);
        await client.PlayAsync(call, "b", Long, sink.Url);
        await clock.AdvanceWhenTimerAsync(TimeSpan.FromSeconds(1));
        await first.WaitAsync(Patience);
        await sink.WaitForAsync(2, Patience);
        await emu.DrainWebhooksAsync(Patience);
        Assert.Equal((2, 2, 1L), (emu.Journal.Requests.Count, emu.Journal.Webhooks.Count, emu.Journal.Overlaps));

        var deleted = await client.Http.DeleteAsync("/__emulator/journal");
        var journal = await client.JournalAsync();

        Assert.Equal(204, (int)deleted.StatusCode);
        Assert.Empty(emu.Journal.Requests);
        Assert.Empty(emu.Journal.Webhooks);
        Assert.Equal(0, emu.Journal.Overlaps);
        Assert.Equal(0, journal.GetProperty("requests").GetArrayLength());
        Assert.Equal(0, journal.GetProperty("webhooks").GetArrayLength());
        Assert.Equal(0, journal.GetProperty("arrivals").GetArrayLength());
        Assert.Equal(0, journal.GetProperty("overlaps").GetInt64());
        await client.ControlAsync(call, "calling.play.pause", "a");
        Assert.Equal("calling.play.pause", Assert.Single(emu.Journal.Requests).Command);
    }
}
