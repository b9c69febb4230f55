using System.Text;
using Xunit.Abstractions;

namespace Playback.Tests;

public sealed class WebhookTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    internal const string Key = "PSKtest1234567890abcdef";
    internal const string Url = "https://example.ngrok.io/webhook";
    private static readonly byte[] VectorBody = Encoding.UTF8.GetBytes("""{"event":"call.state","params":{"call_id":"abc-123","state":"answered"}}""");

    private static readonly PlaybackSettings Signed = Settings with { SigningKey = Key };

    [Fact]
    public void The_protocol_test_vector_matches_both_algorithms()
    {
        Assert.Equal("c3c08c1fefaf9ee198a100d5906765a6f394bf0f", WebhookSignature.ComputeSha1(Key, Url, VectorBody));
        Assert.Equal("2a29f8a92b11df39da80c3b185fd62173d49c294184da585ff951eae4433571c", WebhookSignature.ComputeSha256(Key, Url, VectorBody));
    }

    [Theory]
    [InlineData("2a29f8a92b11df39da80c3b185fd62173d49c294184da585ff951eae4433571c", null, true)]
    [InlineData("2A29F8A92B11DF39DA80C3B185FD62173D49C294184DA585FF951EAE4433571C", null, true)]
    [InlineData(null, "c3c08c1fefaf9ee198a100d5906765a6f394bf0f", true)]
    [InlineData("2a29f8a92b11df39da80c3b185fd62173d49c294184da585ff951eae4433571d", null, false)]
    [InlineData("not-hex", null, false)]
    [InlineData("2a29", null, false)]
    [InlineData("2a29f8a92b11df39da80c3b185fd62173d49c294184da585ff951eae4433571d", "c3c08c1fefaf9ee198a100d5906765a6f394bf0f", false)]
    [InlineData(null, null, false)]
    public void Signatures_are_checked_sha256_first_then_sha1(string? sha256, string? sha1, bool valid) =>
        Assert.Equal(valid, WebhookSignature.IsValid(Key, Url, VectorBody, sha256, sha1));

    [Fact]
    public void A_different_url_or_body_breaks_the_signature()
    {
        var sig = WebhookSignature.ComputeSha256(Key, Url, VectorBody);
        Assert.False(WebhookSignature.IsValid(Key, Url + "?x=1", VectorBody, sig, null));
        Assert.False(WebhookSignature.IsValid(Key, Url, [.. VectorBody, (byte)' '], sig, null));
    }

    [Fact]
    public async Task A_signed_finished_webhook_ends_the_playback()
    {
        await using var manager = CreateManager(Signed);
        var handle = await Within10s(manager.PlayAsync("call-w1", Hello));
        var body = PlayWebhook("call-w1", handle.ControlId, "finished");

        var result = await manager.HandleWebhookAsync(Url, Headers(WebhookSignature.Sha256Header, WebhookSignature.ComputeSha256(Key, Url, body)), body);

        Assert.Equal(WebhookStatus.Accepted, result.Status);
        Assert.Equal(PlaybackState.Finished, (await Within10s(handle.Completion)).State);
    }

    [Fact]
    public async Task Under_the_required_policy_unsigned_and_forged_webhooks_are_rejected_and_change_nothing()
    {
        await using var manager = CreateManager(Signed);
        var handle = await Within10s(manager.PlayAsync("call-w2", Hello));
        var body = PlayWebhook("call-w2", handle.ControlId, "finished");

        var unsigned = await manager.HandleWebhookAsync(Url, NoHeaders, body);
        var forged = await manager.HandleWebhookAsync(Url, Headers(WebhookSignature.Sha256Header, WebhookSignature.ComputeSha256("wrong-key", Url, body)), body);
        var wrongUrl = await manager.HandleWebhookAsync(Url, Headers(WebhookSignature.Sha1Header, WebhookSignature.ComputeSha1(Key, "https://attacker.example/hook", body)), body);

        Assert.Equal((WebhookStatus.Rejected, "signature missing"), (unsigned.Status, unsigned.Reason));
        Assert.Equal((WebhookStatus.Rejected, "signature invalid"), (forged.Status, forged.Reason));
        Assert.Equal(WebhookStatus.Rejected, wrongUrl.Status);
        Assert.Equal(PlaybackState.Playing, handle.Current);
        Assert.Equal(3, manager.Statistics.WebhooksRejected);
    }

    [Fact]
    public async Task Under_when_present_unsigned_webhooks_pass_but_bad_signatures_do_not()
    {
        await using var manager = CreateManager(Signed with { SignaturePolicy = WebhookSignaturePolicy.WhenPresent });
        var handle = await Within10s(manager.PlayAsync("call-w3", Hello));
        var body = PlayWebhook("call-w3", handle.ControlId, "finished");

        var bad = await manager.HandleWebhookAsync(Url, Headers(WebhookSignature.Sha1Header, "00"), body);
        Assert.Equal(WebhookStatus.Rejected, bad.Status);
        Assert.Equal(PlaybackState.Playing, handle.Current);

        var unsigned = await manager.HandleWebhookAsync(Url, NoHeaders, body);
        Assert.Equal(WebhookStatus.Accepted, unsigned.Status);
        Assert.Equal(PlaybackState.Finished, (await Within10s(handle.Completion)).State);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"event_type":"calling.call.play","params":{"call_id":"c","state":"playing"}}""")]
    [InlineData("""{"event_type":"calling.call.play","params":{"call_id":"","control_id":"x","state":"playing"}}""")]
    [InlineData("""{"event_type":"calling.call.play","params":"oops"}""")]
    [InlineData("""{"event_type":"calling.call.play"}""")]
    [InlineData("""{"event_type":"calling.call.play","timestamp":"yesterday","params":{"call_id":"c","control_id":"x","state":"playing"}}""")]
    [InlineData("""{"event_type":7,"params":{}}""")]
    public async Task Malformed_webhooks_are_rejected_without_an_exception(string body)
    {
        await using var manager = CreateManager();

        var result = await manager.HandleWebhookAsync(Url, NoHeaders, Encoding.UTF8.GetBytes(body));

        Assert.Equal(WebhookStatus.Rejected, result.Status);
        Assert.False(string.IsNullOrEmpty(result.Reason));
    }

    [Fact]
    public async Task Bare_play_events_without_the_envelope_are_understood()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-bare", Hello));
        var body = Encoding.UTF8.GetBytes($$"""{"call_id":"call-bare","node_id":"n","control_id":"{{handle.ControlId}}","state":"error","extra":1}""");

        var result = await manager.HandleWebhookAsync(Url, NoHeaders, body);

        Assert.Equal(WebhookStatus.Accepted, result.Status);
        Assert.Equal(PlaybackState.Failed, (await Within10s(handle.Completion)).State);
    }

    [Fact]
    public async Task Unknown_control_ids_and_event_types_are_ignored()
    {
        await using var manager = CreateManager();
        await Within10s(manager.PlayAsync("call-ign", Hello));

        var unknownControl = await manager.HandleWebhookAsync(Url, NoHeaders, PlayWebhook("call-ign", "other", "finished"));
        var otherType = await manager.HandleWebhookAsync(Url, NoHeaders, Encoding.UTF8.GetBytes("""{"event_type":"calling.call.record","params":{"call_id":"call-ign"}}"""));

        Assert.Equal(WebhookStatus.Ignored, unknownControl.Status);
        Assert.Equal(WebhookStatus.Ignored, otherType.Status);
        Assert.Single(manager.Snapshot("call-ign"));
    }

    [Fact]
    public async Task Duplicate_and_late_webhooks_change_nothing_after_the_end()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-dup", Hello));
        var events = new List<PlaybackEvent>();
        using var sub = manager.EventsFor("call-dup").Subscribe(e => { lock (events) { events.Add(e); } });

        foreach (var state in new[] { "finished", "finished", "playing", "error" })
        {
            Assert.Equal(WebhookStatus.Accepted, (await manager.HandleWebhookAsync(Url, NoHeaders, PlayWebhook("call-dup", handle.ControlId, state))).Status);
        }

        Assert.Equal(PlaybackState.Finished, (await Within10s(handle.Completion)).State);
        await AwaitAssertAsync(() => Assert.Equal(2, events.Count));
        Assert.Equal([PlaybackState.Playing, PlaybackState.Finished], events.Select(e => e.State));
    }

    [Fact]
    public async Task A_paused_report_newer_than_the_last_command_is_adopted()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-adopt", Hello));
        var later = DateTimeOffset.UtcNow.AddSeconds(5).ToUnixTimeMilliseconds() / 1000.0;

        await manager.HandleWebhookAsync(Url, NoHeaders, PlayWebhook("call-adopt", handle.ControlId, "paused", later));

        await AwaitAssertAsync(() => Assert.Equal(PlaybackState.Paused, handle.Current));
        Assert.Equal("reported by the server", handle.Reason);
    }

    [Fact]
    public async Task A_paused_report_older_than_the_last_command_is_stale()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-stale", Hello));
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds() / 1000.0;

        var result = await manager.HandleWebhookAsync(Url, NoHeaders, PlayWebhook("call-stale", handle.ControlId, "paused", earlier));

        Assert.Contains("stale", result.Reason);
        Assert.Equal(PlaybackState.Playing, handle.Current);
    }

    private static KeyValuePair<string, string>[] Headers(string name, string value) => [new(name, value)];
}
