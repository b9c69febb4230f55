using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Playback.Emulator;

namespace Playback.Hosting.Tests;

/// <summary><c>MapPlaybackWebhooks</c> over real HTTP on Kestrel: what it answers and what it changes.</summary>
public sealed class WebhookEndpointTests
{
    private const int SmallLimit = 1024;

    [Fact]
    public async Task A_correctly_signed_play_webhook_gets_204_and_changes_the_playback()
    {
        await using var fixture = await Fixture.StartAsync();

        var response = await fixture.SendAsync(fixture.Signed(fixture.Webhook("finished")));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(PlaybackState.Finished, (await fixture.Handle.Completion.WaitAsync(Eventually.Patience)).State);
        await Eventually.AssertAsync(() => Assert.Equal(fixture.AcceptedBefore + 1, fixture.App.Playback.Statistics.WebhooksAccepted));
    }

    [Fact]
    public async Task The_emulators_signed_webhooks_pass_the_endpoint_and_finish_the_playback()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await using var app = await PlaybackWebApp.StartAsync(emulator);

        var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Tts("Hello from the REST API!")]);

        Assert.Equal(PlaybackState.Finished, (await handle.Completion.WaitAsync(Eventually.Patience)).State);
        await Eventually.AssertAsync(() => Assert.Equal(["playing", "finished"], emulator.Journal.Webhooks.Select(w => w.State)));
        Assert.All(emulator.Journal.Webhooks, w => Assert.Equal(("delivered 204", app.WebhookUrl), (w.Outcome, w.Url)));
    }

    [Fact]
    public async Task Behind_a_path_base_included_in_the_PublicBaseUrl_the_emulators_signed_webhooks_pass()
    {
        // The status URL Playback gives SignalWire is PublicBaseUrl + the endpoint's path; the URL checked is the same one,
        // not PublicBaseUrl + the path base again. The fixture waits for the emulator's "playing" webhook to get 204.
        await using var fixture = await Fixture.StartAsync(
            o => o.PublicBaseUrl += "/calls",
            beforeEndpoints: web =>
            {
                web.UsePathBase("/calls");
                web.UseRouting();
            });

        Assert.Contains(fixture.Emulator.Journal.Webhooks, w => w.Url == fixture.App.BaseUrl + "/calls" + PlaybackWebApp.WebhookPath && w.Outcome == "delivered 204");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_limit_under_256_bytes_answers_413_not_500(bool chunked)
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await using var app = await PlaybackWebApp.StartAsync(emulator, o => o.MaxWebhookBodyBytes = 100);
        using var request = TestSupport.Webhook(PlaybackWebApp.WebhookPath, TestSupport.PlayWebhook("call-1", "c-1", "playing"), emulator.SigningKey, app.WebhookUrl);
        request.Headers.TransferEncodingChunked = chunked; // no Content-Length: the endpoint reads up to its limit

        var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task An_unsigned_webhook_gets_403_and_changes_nothing()
    {
        await using var fixture = await Fixture.StartAsync();

        await fixture.AssertRejectedAsync(fixture.Unsigned(fixture.Webhook("error")), HttpStatusCode.Forbidden, reachesPlayback: true);
    }

    [Fact]
    public async Task A_webhook_signed_with_another_key_gets_403_and_changes_nothing()
    {
        await using var fixture = await Fixture.StartAsync();

        await fixture.AssertRejectedAsync(fixture.Signed(fixture.Webhook("error"), key: "PSK-not-the-key"), HttpStatusCode.Forbidden, reachesPlayback: true);
    }

    [Fact]
    public async Task A_webhook_whose_body_was_changed_after_signing_gets_403_and_changes_nothing()
    {
        await using var fixture = await Fixture.StartAsync();
        var signature = WebhookSignature.ComputeSha256(fixture.Emulator.SigningKey, fixture.App.WebhookUrl, fixture.Webhook("playing"));
        var request = fixture.Unsigned(fixture.Webhook("error"));
        request.Headers.Add(WebhookSignature.Sha256Header, signature);

        await fixture.AssertRejectedAsync(request, HttpStatusCode.Forbidden, reachesPlayback: true);
    }

    [Fact]
    public async Task A_signature_over_a_forwarded_host_gets_403_even_when_the_app_trusts_forwarded_headers()
    {
        await using var fixture = await Fixture.StartAsync(beforeEndpoints: app => app.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.All }));
        var body = fixture.Webhook("error");
        var forged = TestSupport.Webhook(PlaybackWebApp.WebhookPath, body, fixture.Emulator.SigningKey, "https://evil.example" + PlaybackWebApp.WebhookPath);
        forged.Headers.Add("X-Forwarded-Host", "evil.example");
        forged.Headers.Add("X-Forwarded-Proto", "https");

        await fixture.AssertRejectedAsync(forged, HttpStatusCode.Forbidden, reachesPlayback: true);

        // The forwarded headers still do not matter when the signature covers the configured public URL.
        var genuine = fixture.Signed(fixture.Webhook("finished"));
        genuine.Headers.Add("X-Forwarded-Host", "evil.example");
        genuine.Headers.Add("X-Forwarded-Proto", "https");
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.SendAsync(genuine)).StatusCode);
    }

    [Fact]
    public async Task The_query_string_is_part_of_the_signed_url()
    {
        await using var fixture = await Fixture.StartAsync();
        var body = fixture.Webhook("error");
        var withoutQuery = TestSupport.Webhook(PlaybackWebApp.WebhookPath + "?tenant=a", body, fixture.Emulator.SigningKey, fixture.App.WebhookUrl);

        await fixture.AssertRejectedAsync(withoutQuery, HttpStatusCode.Forbidden, reachesPlayback: true, then: TestSupport.Webhook(
            PlaybackWebApp.WebhookPath + "?tenant=a", fixture.Webhook("finished"), fixture.Emulator.SigningKey, fixture.App.WebhookUrl + "?tenant=a"));
    }

    [Fact]
    public async Task A_signed_webhook_with_malformed_json_gets_400_and_changes_nothing()
    {
        await using var fixture = await Fixture.StartAsync();

        await fixture.AssertRejectedAsync(fixture.Signed(Encoding.UTF8.GetBytes("{\"event_type\":\"calling.call.play\",\"params\":{\"state\":\"error\"")), HttpStatusCode.BadRequest, reachesPlayback: true);
    }

    [Fact]
    public async Task A_signed_play_webhook_without_a_call_id_gets_400_and_changes_nothing()
    {
        await using var fixture = await Fixture.StartAsync();
        var body = Encoding.UTF8.GetBytes($"{{\"event_type\":\"calling.call.play\",\"params\":{{\"control_id\":\"{fixture.Handle.ControlId}\",\"state\":\"error\"}}}}");

        await fixture.AssertRejectedAsync(fixture.Signed(body), HttpStatusCode.BadRequest, reachesPlayback: true);
    }

    [Fact]
    public async Task A_body_over_the_limit_with_a_content_length_gets_413_and_changes_nothing()
    {
        await using var fixture = await Fixture.StartAsync();
        var request = fixture.Signed(fixture.Webhook("error", padding: new string('x', 4 * SmallLimit)));

        await fixture.AssertRejectedAsync(request, HttpStatusCode.RequestEntityTooLarge, reachesPlayback: false);

        var seen = Assert.Single(fixture.Seen, s => s.Status == 413);
        Assert.True(seen.ContentLength > SmallLimit);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_without_a_content_length_gets_413_and_changes_nothing()
    {
        await using var fixture = await Fixture.StartAsync();
        var body = fixture.Webhook("error", padding: new string('x', 4 * SmallLimit));
        var request = new HttpRequestMessage(HttpMethod.Post, PlaybackWebApp.WebhookPath) { Content = new ChunkedContent(body) };
        request.Headers.Add(WebhookSignature.Sha256Header, WebhookSignature.ComputeSha256(fixture.Emulator.SigningKey, fixture.App.WebhookUrl, body));

        await fixture.AssertRejectedAsync(request, HttpStatusCode.RequestEntityTooLarge, reachesPlayback: false);

        var seen = Assert.Single(fixture.Seen, s => s.Status == 413);
        Assert.Null(seen.ContentLength);
        Assert.Equal("chunked", seen.TransferEncoding);
    }

    [Fact]
    public async Task A_body_exactly_at_the_limit_is_read_and_accepted()
    {
        await using var fixture = await Fixture.StartAsync();
        var unpadded = fixture.Webhook("finished", padding: string.Empty);
        var body = fixture.Webhook("finished", padding: new string('x', SmallLimit - unpadded.Length));
        Assert.Equal(SmallLimit, body.Length);

        var response = await fixture.SendAsync(fixture.Signed(body));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(PlaybackState.Finished, (await fixture.Handle.Completion.WaitAsync(Eventually.Patience)).State);
    }

    [Fact]
    public async Task A_signed_webhook_for_an_unknown_call_gets_204_and_is_counted_as_ignored()
    {
        await using var fixture = await Fixture.StartAsync();
        var before = fixture.App.Playback.Statistics;

        var response = await fixture.SendAsync(fixture.Signed(TestSupport.PlayWebhook(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), "finished")));

        // 204 once handed off; the call's actor (here: the registry, which knows no such call) counts it as ignored.
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await Eventually.AssertAsync(() => Assert.Equal(before.WebhooksIgnored + 1, fixture.App.Playback.Statistics.WebhooksIgnored));
        var after = fixture.App.Playback.Statistics;
        Assert.Equal(before.WebhooksAccepted, after.WebhooksAccepted);
        Assert.Equal(before.WebhooksForUnknownCalls + 1, after.WebhooksForUnknownCalls);
        Assert.Equal(PlaybackState.Playing, fixture.Handle.Current);
    }

    public static TheoryData<string, int> BadBodies => new()
    {
        { string.Empty, 400 },
        { "null", 400 },
        { "[]", 400 },
        { "\"text\"", 400 },
        { "{", 400 },
        { "{\"event_type\":5,\"params\":{}}", 400 },
        { "{\"event_type\":\"calling.call.play\",\"params\":[]}", 400 },
        { "{\"event_type\":\"calling.call.play\",\"params\":{\"call_id\":\"c\",\"control_id\":\"p\",\"state\":\"playing\"},\"timestamp\":\"yesterday\"}", 400 },
        { "{\"event_type\":\"calling.call.play\",\"params\":{\"call_id\":\"c\",\"control_id\":\"p\",\"state\":\"playing\"},\"timestamp\":1e400}", 400 },
        { "{\"event_type\":\"calling.call.play\",\"params\":{\"call_id\":\"c\",\"control_id\":\"p\",\"state\":\"exploded\"}}", 204 },
        { "{\"event_type\":\"calling.call.receive\",\"params\":{}}", 204 },
        { "{\"event_type\":\"calling.call.state\",\"params\":{\"call_id\":\"c\",\"call_state\":\"ended\"}}", 204 },
        { new string('[', 200) + new string(']', 200), 400 },
        { "\u00ff\u00fe\u0000binary", 400 },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_never_gets_a_5xx(string text, int expected)
    {
        await using var fixture = await Fixture.StartAsync();
        var body = Encoding.UTF8.GetBytes(text);

        var signed = await fixture.SendAsync(fixture.Signed(body));
        var unsigned = await fixture.SendAsync(fixture.Unsigned(body));
        var badlySigned = fixture.Unsigned(body);
        badlySigned.Headers.Add(WebhookSignature.Sha256Header, "not-hex");
        var garbled = await fixture.SendAsync(badlySigned);

        Assert.Equal(expected, (int)signed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, garbled.StatusCode);
        Assert.Equal(PlaybackState.Playing, fixture.Handle.Current);
    }

    [Fact]
    public async Task A_webhook_after_playback_was_disposed_gets_503_so_that_it_is_retried()
    {
        await using var fixture = await Fixture.StartAsync();
        await fixture.App.Playback.DisposeAsync();

        using var request = fixture.Signed(fixture.Webhook("finished"));
        var response = await fixture.App.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Under_the_when_present_policy_an_unsigned_webhook_is_accepted_but_a_wrong_signature_is_not()
    {
        await using var fixture = await Fixture.StartAsync(o => o.SignaturePolicy = WebhookSignaturePolicy.WhenPresent);

        await fixture.AssertRejectedAsync(fixture.Signed(fixture.Webhook("error"), key: "PSK-not-the-key"), HttpStatusCode.Forbidden, reachesPlayback: true,
            then: fixture.Unsigned(fixture.Webhook("finished")));
    }

    /// <summary>An emulator, the app, a call with an endless playback whose own "playing" webhook has been handled.</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        private readonly ConcurrentQueue<(long? ContentLength, string TransferEncoding, int Status)> _seen;

        private Fixture(CallingEmulator emulator, PlaybackWebApp app, ConcurrentQueue<(long?, string, int)> seen, PlaybackHandle handle)
        {
            Emulator = emulator;
            App = app;
            _seen = seen;
            Handle = handle;
            AcceptedBefore = app.Playback.Statistics.WebhooksAccepted;
        }

        public CallingEmulator Emulator { get; }

        public PlaybackWebApp App { get; }

        public PlaybackHandle Handle { get; }

        public long AcceptedBefore { get; }

        public IReadOnlyList<(long? ContentLength, string TransferEncoding, int Status)> Seen => _seen.ToArray();

        public static async Task<Fixture> StartAsync(Action<PlaybackOptions>? configure = null, Action<WebApplication>? beforeEndpoints = null)
        {
            var emulator = await TestSupport.StartEmulatorAsync();
            var seen = new ConcurrentQueue<(long?, string, int)>();
            var app = await PlaybackWebApp.StartAsync(emulator, o =>
            {
                o.MaxWebhookBodyBytes = SmallLimit;
                configure?.Invoke(o);
            }, web =>
            {
                web.Use(async (context, next) =>
                {
                    await next(context);
                    seen.Enqueue((context.Request.ContentLength, context.Request.Headers.TransferEncoding.ToString(), context.Response.StatusCode));
                });
                beforeEndpoints?.Invoke(web);
            });
            var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Ringtone("us")]);
            await Eventually.AssertAsync(() => Assert.Contains(emulator.Journal.Webhooks, w => w.State == "playing" && w.Outcome == "delivered 204"));

            // 204 means handed off to the call's actor: it is counted once the actor has applied it.
            await Eventually.AssertAsync(() => Assert.True(app.Playback.Statistics.WebhooksAccepted >= 1, "the playing webhook counted"));
            return new Fixture(emulator, app, seen, handle);
        }

        public byte[] Webhook(string state, string? padding = null) => TestSupport.PlayWebhook(Handle.CallId, Handle.ControlId, state, padding);

        public HttpRequestMessage Signed(byte[] body, string? key = null) =>
            TestSupport.Webhook(PlaybackWebApp.WebhookPath, body, key ?? Emulator.SigningKey, App.WebhookUrl);

        public HttpRequestMessage Unsigned(byte[] body) => TestSupport.Webhook(PlaybackWebApp.WebhookPath, body, key: null, signedUrl: null);

        public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
        {
            using (request)
            {
                var response = await App.Http.SendAsync(request);
                Assert.True((int)response.StatusCode < 500, $"{request.RequestUri} answered {(int)response.StatusCode}");
                return response;
            }
        }

        /// <summary>
        /// Sends a request that must be rejected, then one that must be accepted (a signed "finished" by default). Had the
        /// rejected one (an "error" event) reached the playback it would have ended Failed; it must end Finished instead.
        /// </summary>
        public async Task AssertRejectedAsync(HttpRequestMessage rejected, HttpStatusCode expected, bool reachesPlayback, HttpRequestMessage? then = null)
        {
            var before = App.Playback.Statistics;

            var response = await SendAsync(rejected);

            Assert.Equal(expected, response.StatusCode);
            var after = App.Playback.Statistics;
            Assert.Equal(before.WebhooksAccepted, after.WebhooksAccepted);
            Assert.Equal(before.WebhooksRejected + (reachesPlayback ? 1 : 0), after.WebhooksRejected);
            Assert.Equal(PlaybackState.Playing, Handle.Current);
            Assert.Equal("playing", Emulator.GetPlay(Handle.CallId, Handle.ControlId)!.State);

            var accepted = await SendAsync(then ?? Signed(Webhook("finished")));
            Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
            Assert.Equal(PlaybackState.Finished, (await Handle.Completion.WaitAsync(Eventually.Patience)).State);
        }

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            await Emulator.DisposeAsync();
        }
    }
}
