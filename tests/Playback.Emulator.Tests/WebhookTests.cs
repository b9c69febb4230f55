using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Playback.Emulator.Tests;

/// <summary>Status webhooks on the system clock at a high speed: order per call, envelope, signatures, call end.</summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const string Long = """[{"type":"silence","params":{"duration":100000}}]""";
    private WebhookSink _sink = null!;
    private CallingEmulator _emu = null!;
    private EmulatorClient _client = null!;

    public async Task InitializeAsync()
    {
        _sink = await WebhookSink.StartAsync();
        _emu = await CallingEmulator.StartAsync(new EmulatorOptions { Speed = 100 });
        _client = new EmulatorClient(_emu);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _emu.DisposeAsync();
        await _sink.DisposeAsync();
    }

    [Fact]
    public async Task A_play_with_a_status_url_posts_playing_then_finished()
    {
        var call = _emu.CreateCall();

        await _client.PlayAsync(call, "one", """[{"type":"silence","params":{"duration":1}}]""", _sink.Url);

        var received = await _sink.WaitForAsync(2, Patience);
        Assert.Equal(new[] { "playing", "finished" }, received.Select(r => r.State));
        Assert.All(received, r => Assert.Equal("one", r.ControlId));
        Assert.All(received, r => Assert.Equal("application/json", r.Header("Content-Type")?.Split(';')[0]));
    }

    [Fact]
    public async Task Pause_posts_paused_resume_posts_playing_and_stop_posts_finished_in_order()
    {
        var call = _emu.CreateCall();
        await _client.PlayAsync(call, "p", Long, _sink.Url);

        await _client.ControlAsync(call, "calling.play.pause", "p");
        await _client.ControlAsync(call, "calling.play.pause", "p");
        await _client.ControlAsync(call, "calling.play.volume", "p", ",\"volume\":6");
        await _client.ControlAsync(call, "calling.play.resume", "p");
        await _client.ControlAsync(call, "calling.play.resume", "p");
        await _client.ControlAsync(call, "calling.play.stop", "p");

        await _sink.WaitForAsync(4, Patience);
        await _emu.DrainWebhooksAsync(Patience);
        Assert.Equal(new[] { "playing", "paused", "playing", "finished" }, _sink.Received.Select(r => r.State));
    }

    [Fact]
    public async Task A_play_without_a_status_url_posts_nothing()
    {
        var call = _emu.CreateCall();

        await _client.PlayAsync(call, "quiet", """[{"type":"silence","params":{"duration":1}}]""");
        await _client.PlayAsync(call, "loud", """[{"type":"silence","params":{"duration":1}}]""", _sink.Url);

        await _sink.WaitForAsync(r => r.Any(x => x.State == "finished"), Patience);
        await _emu.DrainWebhooksAsync(Patience);
        Assert.Equal(new[] { "playing", "finished" }, _sink.Received.Select(r => r.State));
        Assert.All(_sink.Received, r => Assert.Equal("loud", r.ControlId));
    }

    [Fact]
    public async Task The_envelope_has_exactly_the_fields_of_the_protocol()
    {
        var call = _emu.CreateCall();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        await _client.PlayAsync(call, "env", Long, _sink.Url);

        var json = (await _sink.WaitForAsync(1, Patience))[0].Json;
        Assert.Equal(new[] { "event_channel", "event_type", "params", "project_id", "space_id", "timestamp" }, Names(json));
        Assert.Equal("calling.call.play", json.GetProperty("event_type").GetString());
        var channel = json.GetProperty("event_channel").GetString()!;
        Assert.StartsWith("swml:", channel, StringComparison.Ordinal);
        Assert.True(Guid.TryParse(channel["swml:".Length..], out _));
        Assert.Equal(JsonValueKind.Number, json.GetProperty("timestamp").ValueKind);
        Assert.InRange(json.GetProperty("timestamp").GetDouble(), before - 1, before + 600);
        Assert.Equal(_emu.ProjectId, json.GetProperty("project_id").GetString());
        Assert.True(Guid.TryParse(json.GetProperty("space_id").GetString(), out _));
        var p = json.GetProperty("params");
        Assert.Equal(new[] { "call_id", "control_id", "node_id", "state" }, Names(p));
        Assert.Equal(call, p.GetProperty("call_id").GetString());
        Assert.True(Guid.TryParse(p.GetProperty("node_id").GetString(), out _));
        Assert.Equal("env", p.GetProperty("control_id").GetString());
        Assert.Equal("playing", p.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Both_signature_headers_verify_over_the_exact_url_with_query_and_raw_body()
    {
        var call = _emu.CreateCall();
        var statusUrl = _sink.BaseUrl + "/status/play?tenant=a%20b&n=1";

        await _client.PlayAsync(call, "sig", """[{"type":"silence","params":{"duration":1}}]""", statusUrl);

        var received = await _sink.WaitForAsync(2, Patience);
        Assert.All(received, r =>
        {
            Assert.Equal(statusUrl, r.Url);
            var sha1 = r.Header(WebhookSignature.Sha1Header);
            var sha256 = r.Header(WebhookSignature.Sha256Header);
            Assert.NotNull(sha1);
            Assert.NotNull(sha256);

            Assert.True(WebhookSignature.IsValid(_emu.SigningKey, r.Url, r.Body, sha256, null));
            Assert.True(WebhookSignature.IsValid(_emu.SigningKey, r.Url, r.Body, null, sha1));
            var data = Encoding.UTF8.GetBytes(r.Url).Concat(r.Body).ToArray();
            var key = Encoding.UTF8.GetBytes(_emu.SigningKey);
            Assert.Equal(Convert.ToHexStringLower(HMACSHA1.HashData(key, data)), sha1);
            Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(key, data)), sha256);

            Assert.False(WebhookSignature.IsValid(_emu.SigningKey + "x", r.Url, r.Body, sha256, null));
            Assert.False(WebhookSignature.IsValid(_emu.SigningKey, r.Url.Replace("n=1", "n=2", StringComparison.Ordinal), r.Body, sha256, null));
            Assert.False(WebhookSignature.IsValid(_emu.SigningKey, r.Url, [.. r.Body, (byte)' '], null, sha1));
        });
    }

    [Fact]
    public async Task Signing_matches_the_protocol_test_vector()
    {
        await using var emu = await CallingEmulator.StartAsync(new EmulatorOptions { SigningKey = "PSKtest1234567890abcdef" });
        const string url = "https://example.ngrok.io/webhook";
        var body = Encoding.UTF8.GetBytes("""{"event":"call.state","params":{"call_id":"abc-123","state":"answered"}}""");

        Assert.Equal("PSKtest1234567890abcdef", emu.SigningKey);
        Assert.Equal("c3c08c1fefaf9ee198a100d5906765a6f394bf0f", WebhookDispatcher.Sign(emu.SigningKey, url, body, sha256: false));
        Assert.Equal("2a29f8a92b11df39da80c3b185fd62173d49c294184da585ff951eae4433571c", WebhookDispatcher.Sign(emu.SigningKey, url, body, sha256: true));
    }

    [Fact]
    public async Task Webhooks_from_an_emulator_with_a_given_signing_key_verify_with_that_key()
    {
        await using var emu = await CallingEmulator.StartAsync(new EmulatorOptions { SigningKey = "PSKtest1234567890abcdef", Speed = 100 });
        using var client = new EmulatorClient(emu);
        var call = emu.CreateCall();

        await client.PlayAsync(call, "k", Long, _sink.Url);

        var r = (await _sink.WaitForAsync(1, Patience))[0];
        Assert.True(WebhookSignature.IsValid("PSKtest1234567890abcdef", r.Url, r.Body, r.Header(WebhookSignature.Sha256Header), null));
        Assert.True(WebhookSignature.IsValid("PSKtest1234567890abcdef", r.Url, r.Body, null, r.Header(WebhookSignature.Sha1Header)));
    }

    [Fact]
    public async Task Ending_a_call_finishes_its_active_plays_and_posts_call_state_ended_to_the_call_status_url()
    {
        await using var callSink = await WebhookSink.StartAsync();
        var call = _emu.CreateCall(callSink.Url);
        await _client.PlayAsync(call, "a", Long, _sink.Url);
        await _client.PlayAsync(call, "b", """[{"type":"ringtone","params":{"name":"us"}}]""", _sink.Url);
        await _client.PlayAsync(call, "done", """[{"type":"silence","params":{"duration":1}}]""", _sink.Url);
        await _client.ControlAsync(call, "calling.play.pause", "b");
        await _sink.WaitForAsync(r => r.Any(x => x.ControlId == "done" && x.State == "finished") && r.Any(x => x.State == "paused"), Patience);

        Assert.True(_emu.EndCall(call));

        var plays = await _sink.WaitForAsync(r => r.Count(x => (x.ControlId is "a" or "b") && x.State == "finished") == 2, Patience);
        var ended = Assert.Single(await callSink.WaitForAsync(1, Patience));
        await _emu.DrainWebhooksAsync(Patience);
        Assert.Equal(new[] { "playing", "finished" }, plays.Where(r => r.ControlId == "a").Select(r => r.State));
        Assert.Equal(new[] { "playing", "paused", "finished" }, plays.Where(r => r.ControlId == "b").Select(r => r.State));
        Assert.Equal(new[] { "playing", "finished" }, _sink.Received.Where(r => r.ControlId == "done").Select(r => r.State));
        Assert.Equal("calling.call.state", ended.EventType);
        Assert.Equal("ended", ended.CallState);
        Assert.Equal(call, ended.Param("call_id"));
        Assert.True(WebhookSignature.IsValid(_emu.SigningKey, ended.Url, ended.Body, ended.Header(WebhookSignature.Sha256Header), null));
        Assert.Single(callSink.Received);
    }

    [Fact]
    public async Task The_end_command_posts_ended_to_the_status_url_given_at_dial()
    {
        var call = await _client.DialAsync(_sink.Url);

        Assert.Equal(200, (await _client.EndAsync(call)).Status);

        var ended = Assert.Single(await _sink.WaitForAsync(1, Patience));
        Assert.Equal("calling.call.state", ended.EventType);
        Assert.Equal("ended", ended.CallState);
    }

    [Fact]
    public async Task Webhooks_are_journaled_with_their_outcome()
    {
        var call = _emu.CreateCall();

        await _client.PlayAsync(call, "j", """[{"type":"silence","params":{"duration":1}}]""", _sink.Url);
        await _sink.WaitForAsync(2, Patience);
        await _emu.DrainWebhooksAsync(Patience);

        var journaled = _emu.Journal.Webhooks.Where(w => w.CallId == call).ToList();
        Assert.Equal(new[] { "playing", "finished" }, journaled.Select(w => w.State));
        Assert.All(journaled, w =>
        {
            Assert.Equal("delivered 204", w.Outcome);
            Assert.Equal("calling.call.play", w.EventType);
            Assert.Equal(_sink.Url, w.Url);
            Assert.Equal("j", w.ControlId);
            Assert.Null(w.Fault);
        });
        Assert.Equal(_sink.Received.Select(r => r.Text), journaled.Select(w => w.Body));
    }

    private static string[] Names(JsonElement e) => e.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
}
