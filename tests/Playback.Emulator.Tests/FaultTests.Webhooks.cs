
namespace Playback.Emulator.Tests;

/// <summary>Webhook faults: drop, duplicate, delay, reorder, dead URL, First.</summary>
public sealed partial class FaultTests
{
    [Fact]
    public async Task A_dropped_webhook_is_never_received_and_is_journaled_as_dropped()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true);
        var (emu, client, clock, sink) = rig;
        var call = emu.CreateCall();
        var other = emu.CreateCall();
        emu.Faults.Set(new FaultPlan { Webhooks = [new WebhookFaultRule { Kind = WebhookFaultKind.Drop, State = "playing", CallId = call }] });

        await client.PlayAsync(call, "p", Long, sink.Url);
        await client.PlayAsync(other, "o", Long, sink.Url);
        await client.ControlAsync(call, "calling.play.stop", "p");
        await sink.WaitForAsync(2, Patience);
        await emu.DrainWebhooksAsync(Patience);

        Assert.Equal(new[] { ("o", "playing"), ("p", "finished") }, sink.Received.Select(r => (ControlId: r.ControlId!, State: r.State!)).OrderBy(x => x.ControlId, StringComparer.Ordinal));
        var dropped = emu.Journal.Webhooks.Single(w => w.Outcome == "dropped");
        Assert.Equal((call, "playing", "drop"), (dropped.CallId, dropped.State, dropped.Fault));
    }

    [Fact]
    public async Task A_duplicated_webhook_is_received_twice()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true);
        var (emu, client, clock, sink) = rig;
        var call = await PlayUnderWebhookFaultAsync(rig, new WebhookFaultRule { Kind = WebhookFaultKind.Duplicate, State = "finished" });
        await client.ControlAsync(call, "calling.play.stop", "p");
        var received = await sink.WaitForAsync(3, Patience);
        await emu.DrainWebhooksAsync(Patience);

        Assert.Equal(new[] { "playing", "finished", "finished" }, sink.Received.Select(r => r.State));
        Assert.Equal(received[1].Body, received[2].Body);
        Assert.Equal(new[] { null, null, "duplicate" }, emu.Journal.Webhooks.Select(w => w.Fault));
    }

    [Fact]
    public async Task A_delayed_webhook_arrives_after_the_later_ones_once_the_clock_has_advanced()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true, speed: 10);
        var (emu, client, clock, sink) = rig;
        var call = emu.CreateCall();
        emu.Faults.Set(new FaultPlan { Webhooks = [new WebhookFaultRule { Kind = WebhookFaultKind.Delay, State = "playing", DelayMs = 60_000 }] });

        await client.PlayAsync(call, "p", """[{"type":"silence","params":{"duration":1}}]""", sink.Url);
        clock.Advance(TimeSpan.FromMilliseconds(101));
        var first = await sink.WaitForAsync(1, Patience);
        Assert.Equal("finished", Assert.Single(first).State);

        await clock.AdvanceWhenTimerAsync(TimeSpan.FromMilliseconds(60_000));
        var received = await sink.WaitForAsync(2, Patience);

        Assert.Equal(new[] { "finished", "playing" }, received.Select(r => r.State));
        await EventuallyAsync(() => emu.Journal.Webhooks.Count == 2, "the delayed webhook in the journal"); // journaled once answered, after the sink saw it
        Assert.Equal("delay 60000 ms", emu.Journal.Webhooks.Single(w => w.State == "playing").Fault);
    }

    [Fact]
    public async Task A_reordered_webhook_is_held_and_sent_right_after_the_next_one()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true);
        var (emu, client, clock, sink) = rig;
        var call = await PlayUnderWebhookFaultAsync(rig, new WebhookFaultRule { Kind = WebhookFaultKind.Reorder, State = "playing", First = 1 });
        await client.ControlAsync(call, "calling.play.pause", "p");
        await client.ControlAsync(call, "calling.play.resume", "p");
        var received = await sink.WaitForAsync(3, Patience);
        await emu.DrainWebhooksAsync(Patience);

        Assert.Equal(new[] { "paused", "playing", "playing" }, sink.Received.Select(r => r.State));
        Assert.Equal(new[] { null, "reorder", null }, emu.Journal.Webhooks.Select(w => w.Fault));
    }

    [Fact]
    public async Task A_held_webhook_with_no_successor_is_released_after_its_hold_time()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true);
        var (emu, client, clock, sink) = rig;
        var call = await PlayUnderWebhookFaultAsync(rig, new WebhookFaultRule { Kind = WebhookFaultKind.Reorder, DelayMs = 3000 });
        Assert.Empty(sink.Received);

        await clock.AdvanceWhenTimerAsync(TimeSpan.FromMilliseconds(3000));
        var received = await sink.WaitForAsync(1, Patience);

        Assert.Equal("playing", Assert.Single(received).State);
    }

    [Fact]
    public async Task A_dead_url_fault_sends_elsewhere_so_the_status_url_receives_nothing_and_the_journal_says_failed()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true);
        var (emu, client, clock, sink) = rig;
        var call = await PlayUnderWebhookFaultAsync(rig, new WebhookFaultRule { Kind = WebhookFaultKind.DeadUrl });
        await client.ControlAsync(call, "calling.play.stop", "p");
        await emu.DrainWebhooksAsync(Patience);
        await EventuallyAsync(() => emu.Journal.Webhooks.Count == 2);

        Assert.All(emu.Journal.Webhooks, w =>
        {
            Assert.StartsWith("failed", w.Outcome, StringComparison.Ordinal);
            Assert.Equal("dead url", w.Fault);
            Assert.NotEqual(sink.Url, w.Url);
        });
        Assert.Equal(new[] { "playing", "finished" }, emu.Journal.Webhooks.Select(w => w.State));
        Assert.Empty(sink.Received);
    }

    [Fact]
    public async Task A_webhook_fault_with_First_1_affects_only_the_first_match()
    {
        await using var rig = await EmulatorRig.StartAsync(sink: true);
        var (emu, client, clock, sink) = rig;
        var call = await PlayUnderWebhookFaultAsync(rig, new WebhookFaultRule { Kind = WebhookFaultKind.Drop, First = 1 });
        await client.ControlAsync(call, "calling.play.pause", "p");
        await client.ControlAsync(call, "calling.play.stop", "p");
        await sink.WaitForAsync(2, Patience);
        await emu.DrainWebhooksAsync(Patience);

        Assert.Equal(new[] { "paused", "finished" }, sink.Received.Select(r => r.State));
    }

    /// <summary>Sets the one webhook fault, then starts the long play "p" on a new call reporting to the rig's sink; returns the call.</summary>
    private static async Task<string> PlayUnderWebhookFaultAsync(EmulatorRig rig, WebhookFaultRule rule)
    {
        var call = rig.Emulator.CreateCall();
        rig.Emulator.Faults.Set(new FaultPlan { Webhooks = [rule] });
        await rig.Client.PlayAsync(call, "p", Long, rig.Sink!.Url);
        return call;
    }
}
