using System.Text;
using Xunit.Abstractions;


namespace Playback.Tests;

/// <summary><see cref="PlaybackManager.HandOffWebhook"/>: checked and parsed at once, applied by the call's actor in order, counted when applied.</summary>
public sealed class HandOffTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    private const string Key = WebhookTests.Key;
    private const string Url = WebhookTests.Url;

    [Fact]
    public async Task Handed_off_webhooks_are_applied_in_the_order_they_were_handed_off()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-h1", Hello));
        var states = new List<PlaybackState>();
        using var sub = manager.EventsFor("call-h1").Subscribe(e => { lock (states) { states.Add(e.State); } });
        var start = DateTimeOffset.UtcNow.AddSeconds(5).ToUnixTimeMilliseconds() / 1000.0;
        string[] sent = ["paused", "playing", "paused", "playing", "paused", "finished"];

        // Each report is newer than the one before: applied out of order, a later one would make an earlier one stale.
        for (var i = 0; i < sent.Length; i++)
        {
            var result = manager.HandOffWebhook(Url, NoHeaders, PlayWebhook("call-h1", handle.ControlId, sent[i], start + i));
            Assert.Equal(WebhookStatus.Accepted, result.Status);
        }

        Assert.Equal(PlaybackState.Finished, (await Within10s(handle.Completion)).State);
        await AwaitAssertAsync(() => Assert.Equal(sent.Length, manager.Statistics.WebhooksAccepted));
        await AwaitAssertAsync(() =>
        {
            lock (states)
            {
                Assert.Equal(
                    [PlaybackState.Playing, PlaybackState.Paused, PlaybackState.Playing, PlaybackState.Paused, PlaybackState.Playing, PlaybackState.Paused, PlaybackState.Finished],
                    states);
            }
        });
    }

    [Fact]
    public async Task A_handed_off_webhook_is_counted_with_the_outcome_the_call_actor_decided()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-h2", Hello));

        var known = manager.HandOffWebhook(Url, NoHeaders, PlayWebhook("call-h2", handle.ControlId, "finished"));
        var unknownCall = manager.HandOffWebhook(Url, NoHeaders, PlayWebhook("call-nobody", "c", "finished"));
        var unknownControl = manager.HandOffWebhook(Url, NoHeaders, PlayWebhook("call-h2", "other", "finished"));

        Assert.All([known, unknownCall, unknownControl], r => Assert.Equal(WebhookStatus.Accepted, r.Status));
        Assert.Equal(PlaybackState.Finished, (await Within10s(handle.Completion)).State);
        await AwaitAssertAsync(() =>
        {
            var statistics = manager.Statistics;
            Assert.Equal((1, 2, 1), (statistics.WebhooksAccepted, statistics.WebhooksIgnored, statistics.WebhooksForUnknownCalls));
        });
    }

    [Fact]
    public async Task Forged_and_malformed_webhooks_are_rejected_at_once_and_never_reach_the_call()
    {
        await using var manager = CreateManager(Settings with { SigningKey = Key });
        var handle = await Within10s(manager.PlayAsync("call-h3", Hello));
        var body = PlayWebhook("call-h3", handle.ControlId, "finished");

        var unsigned = manager.HandOffWebhook(Url, NoHeaders, body);
        var forged = manager.HandOffWebhook(Url, [new(WebhookSignature.Sha256Header, WebhookSignature.ComputeSha256("wrong-key", Url, body))], body);
        var malformed = manager.HandOffWebhook(Url, [new(WebhookSignature.Sha256Header, WebhookSignature.ComputeSha256(Key, Url, "{"u8))], "{"u8.ToArray());

        Assert.Equal((WebhookStatus.Rejected, WebhookRejection.Signature), (unsigned.Status, unsigned.Rejection));
        Assert.Equal((WebhookStatus.Rejected, WebhookRejection.Signature), (forged.Status, forged.Rejection));
        Assert.Equal((WebhookStatus.Rejected, WebhookRejection.Malformed), (malformed.Status, malformed.Rejection));
        Assert.Equal(3, manager.Statistics.WebhooksRejected);

        // A command goes through the call's actor after anything handed off before it: nothing was.
        await Within10s(handle.SetVolumeAsync(-3));
        Assert.Equal(PlaybackState.Playing, handle.Current);
        Assert.Equal(0, manager.Statistics.WebhooksAccepted);
    }

    [Fact]
    public async Task A_signed_webhook_is_handed_off_and_applied()
    {
        await using var manager = CreateManager(Settings with { SigningKey = Key });
        var handle = await Within10s(manager.PlayAsync("call-h4", Hello));
        var body = PlayWebhook("call-h4", handle.ControlId, "error");

        var result = manager.HandOffWebhook(Url, [new(WebhookSignature.Sha1Header, WebhookSignature.ComputeSha1(Key, Url, body))], body);

        Assert.Equal(WebhookStatus.Accepted, result.Status);
        Assert.Equal(PlaybackState.Failed, (await Within10s(handle.Completion)).State);
    }

    [Fact]
    public async Task Once_the_manager_is_disposed_a_hand_off_is_refused_as_unavailable()
    {
        var manager = CreateManager();
        await manager.DisposeAsync();

        var result = manager.HandOffWebhook(Url, NoHeaders, Encoding.UTF8.GetBytes("""{"call_id":"c","control_id":"x","state":"finished"}"""));

        Assert.Equal((WebhookStatus.Rejected, WebhookRejection.Unavailable), (result.Status, result.Rejection));
    }
}
