using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Playback.Emulator;
using Playback.Hosting;
using Xunit.Abstractions;

namespace Playback.SecurityTests;

/// <summary>
/// Fuzz and attack tests of the MapPlaybackWebhooks endpoint over real HTTP on the loopback stack (emulator + web app,
/// signing key set, so the policy is Required). Every answer is checked: never a 5xx; 403 for a missing or wrong
/// signature; 400 for a malformed body; 413 over the size limit; and a rejected request never changes a playback
/// (a live one stays Playing, no state event, <c>Statistics.WebhooksAccepted</c> unchanged).
/// </summary>
public sealed partial class WebhookEndpointFuzzTests(WebhookEndpointFuzzTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<WebhookEndpointFuzzTests.Fixture>
{
    private const string Sha256Header = "X-SignalWire-SHA256-Signature";
    private const string Sha1Header = "X-SignalWire-Signature";
    private const long Limit = PlaybackOptions.DefaultMaxWebhookBodyBytes;

    private int _requestTag;

    private LoopbackStack Stack => fixture.Stack;

    private PlaybackManager Playback => fixture.Stack.Playback;

    [Fact]
    public async Task Seeded_random_bytes_with_a_valid_signature_get_400_or_204_and_never_a_5xx()
    {
        var (live, accepted) = await StartLiveCountingAsync();
        var random = new Random(0xF022);
        var counts = new Dictionary<int, int>();
        for (var i = 0; i < 300; i++)
        {
            var body = new byte[random.Next(0, 3000)];
            random.NextBytes(body);
            if (i % 3 == 0 && body.Length > 0)
            {
                body[0] = (byte)'{';
            }

            var reply = await PostAsync(body, signed: true);
            counts[reply.Status] = counts.GetValueOrDefault(reply.Status) + 1;
            Assert.True(reply.Status is 400 or 204, $"random body #{i} ({body.Length} bytes) got {reply.Status}: {reply.Body}");
        }

        output.WriteLine("random signed bodies by status: " + string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}")));
        Assert.True(counts.GetValueOrDefault(400) > 250);
        await AssertUnchangedAsync(live, accepted);
    }

    [Fact]
    public async Task Seeded_random_bytes_without_a_valid_signature_get_403_and_change_nothing()
    {
        var (live, accepted) = await StartLiveCountingAsync();
        var rejected = Playback.Statistics.WebhooksRejected;
        var random = new Random(0xF023);
        for (var i = 0; i < 200; i++)
        {
            // Half of them carry a body that would end the live playback if it were believed.
            var body = i % 2 == 0 ? live.Body("finished") : RandomBytes(random, random.Next(0, 2000));
            var reply = await PostAsync(body, headers: r =>
            {
                switch (i % 4)
                {
                    case 0:
                        break;
                    case 1:
                        r.Headers.TryAddWithoutValidation(Sha256Header, RandomHex(random, 64));
                        break;
                    case 2:
                        r.Headers.TryAddWithoutValidation(Sha1Header, RandomHex(random, 40));
                        break;
                    default:
                        r.Headers.TryAddWithoutValidation(Sha256Header, RandomAscii(random, random.Next(1, 100)));
                        break;
                }
            });
            Assert.True(reply.Status == 403, $"unsigned body #{i} got {reply.Status}: {reply.Body}");
        }

        Assert.Equal(rejected + 200, Playback.Statistics.WebhooksRejected);
        await AssertUnchangedAsync(live, accepted);
    }

    [Fact]
    public async Task Mutated_webhooks_with_a_valid_signature_get_400_or_204_and_never_a_5xx()
    {
        var (live, accepted) = await StartLiveCountingAsync();
        var random = new Random(0xF024);
        var templates = new[]
        {
            Webhook("fuzz-call", "fuzz-control", "finished", 1700000000.5),
            Encoding.UTF8.GetBytes("""{"event_type":"calling.call.state","params":{"call_id":"fuzz-call","call_state":"ended"}}"""),
            Encoding.UTF8.GetBytes("""{"call_id":"fuzz-call","control_id":"fuzz-control","state":"paused"}"""),
        };
        var counts = new Dictionary<int, int>();
        for (var i = 0; i < 300; i++)
        {
            var body = Mutate(random, templates[i % templates.Length]);
            var reply = await PostAsync(body, signed: true);
            counts[reply.Status] = counts.GetValueOrDefault(reply.Status) + 1;
            Assert.True(reply.Status is 400 or 204, $"mutated body #{i} {Support.Show(Encoding.UTF8.GetString(body))} got {reply.Status}: {reply.Body}");
        }

        output.WriteLine("mutated signed bodies by status: " + string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}")));
        Assert.True(counts.GetValueOrDefault(400) > 50 && counts.GetValueOrDefault(204) > 10);
        await AssertUnchangedAsync(live, accepted);
    }

    [Fact]
    public async Task Truncated_deeply_nested_mistyped_and_huge_json_with_a_valid_signature_gets_400()
    {
        var (live, accepted) = await StartLiveCountingAsync();

        // Every truncation of a webhook that would end the live playback.
        var whole = live.Body("finished");
        for (var length = 0; length < whole.Length; length++)
        {
            await ExpectAsync(400, whole[..length], signed: true, what: $"truncated to {length} bytes");
        }

        var malformed = new List<(string What, string Json)>
        {
            ("nested arrays, depth 40", new string('[', 40) + new string(']', 40)),
            ("nested arrays, depth 20,000", new string('[', 20_000) + new string(']', 20_000)),
            ("unclosed arrays, depth 30,000", new string('[', 30_000)),
            ("nested objects, depth 5,000", string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000)),
            ("nested call id", """{"event_type":"calling.call.play","params":{"call_id":""" + string.Concat(Enumerable.Repeat("{\"a\":", 3_000)) + "1" + new string('}', 3_000) + "}}"),
            ("array body", "[]"),
            ("string body", "\"calling.call.play\""),
            ("number body", "42"),
            ("null body", "null"),
            ("true body", "true"),
            ("event_type a number", """{"event_type":42,"params":{}}"""),
            ("params a string", """{"event_type":"calling.call.play","params":"finished"}"""),
            ("params an array", """{"event_type":"calling.call.play","params":[]}"""),
            ("params missing", """{"event_type":"calling.call.play"}"""),
            ("call_id a number", """{"event_type":"calling.call.play","params":{"call_id":5,"control_id":"c","state":"finished"}}"""),
            ("call_id null", """{"event_type":"calling.call.play","params":{"call_id":null,"control_id":"c","state":"finished"}}"""),
            ("call_id empty", """{"event_type":"calling.call.play","params":{"call_id":"","control_id":"c","state":"finished"}}"""),
            ("call_id blank", """{"event_type":"calling.call.play","params":{"call_id":"   ","control_id":"c","state":"finished"}}"""),
            ("control_id an object", $$$"""{"event_type":"calling.call.play","params":{"call_id":"{{{live.CallId}}}","control_id":{},"state":"finished"}}"""),
            ("control_id missing", $$$"""{"event_type":"calling.call.play","params":{"call_id":"{{{live.CallId}}}","state":"finished"}}"""),
            ("state a number", $$$"""{"event_type":"calling.call.play","params":{"call_id":"{{{live.CallId}}}","control_id":"{{{live.ControlId}}}","state":1}}"""),
            ("state missing", $$$"""{"event_type":"calling.call.play","params":{"call_id":"{{{live.CallId}}}","control_id":"{{{live.ControlId}}}"}}"""),
            ("timestamp not a time", $$$"""{"event_type":"calling.call.play","timestamp":"soon","params":{"call_id":"{{{live.CallId}}}","control_id":"{{{live.ControlId}}}","state":"finished"}}"""),
            ("timestamp an object", $$$"""{"event_type":"calling.call.play","timestamp":{},"params":{"call_id":"{{{live.CallId}}}","control_id":"{{{live.ControlId}}}","state":"finished"}}"""),
            ("timestamp negative", $$$"""{"event_type":"calling.call.play","timestamp":-5,"params":{"call_id":"{{{live.CallId}}}","control_id":"{{{live.ControlId}}}","state":"finished"}}"""),
            ("timestamp beyond year 9999", $$$"""{"event_type":"calling.call.play","timestamp":1e300,"params":{"call_id":"{{{live.CallId}}}","control_id":"{{{live.ControlId}}}","state":"finished"}}"""),
            ("timestamp overflowing", $$$"""{"event_type":"calling.call.play","timestamp":1e99999,"params":{"call_id":"{{{live.CallId}}}","control_id":"{{{live.ControlId}}}","state":"finished"}}"""),
            ("call_state a boolean", $$$"""{"event_type":"calling.call.state","params":{"call_id":"{{{live.CallId}}}","call_state":true}}"""),
            ("trailing garbage", Encoding.UTF8.GetString(live.Body("finished")) + "}"),
            ("two documents", Encoding.UTF8.GetString(live.Body("finished")) + Encoding.UTF8.GetString(live.Body("finished"))),
            ("comments", "/* x */" + Encoding.UTF8.GetString(live.Body("finished"))),
            ("single quotes", $"{{'event_type':'calling.call.play','params':{{'call_id':'{live.CallId}','control_id':'{live.ControlId}','state':'finished'}}}}"),
        };
        foreach (var (what, json) in malformed)
        {
            await ExpectAsync(400, Encoding.UTF8.GetBytes(json), signed: true, what: what);
        }

        // Not UTF-8: a lone continuation byte and an overlong encoding inside a string.
        await ExpectAsync(400, [.. "{\"event_type\":\"calling.call.play\",\"params\":{\"call_id\":\""u8, 0x80, 0xC0, 0xAF, .. "\"}}"u8], signed: true, what: "invalid UTF-8");

        // Valid webhooks about nothing Playback tracks, with huge strings (within the size limit): ignored, 204.
        var huge = new string('x', 60_000);
        await ExpectAsync(204, Webhook(huge, "c", "finished"), signed: true, what: "60,000-character call id");
        await ExpectAsync(204, Webhook(live.CallId, huge, "finished"), signed: true, what: "60,000-character control id on the live call");
        await ExpectAsync(204, Webhook(live.CallId, live.ControlId + "-other", "finished"), signed: true, what: "another control id on the live call");
        await ExpectAsync(204, Encoding.UTF8.GetBytes($$$"""{"event_type":"calling.call.play","params":{"call_id":"{{{live.CallId}}}","control_id":"{{{live.ControlId}}}","state":"{{{huge}}}"}}"""), signed: true, what: "60,000-character state");
        await ExpectAsync(204, Encoding.UTF8.GetBytes($$$"""{"event_type":"calling.call.record","params":{"call_id":"{{{live.CallId}}}"}}"""), signed: true, what: "an event type Playback does not use");
        await ExpectAsync(204, Encoding.UTF8.GetBytes($$$"""{"{{{huge}}}":1}"""), signed: true, what: "a 60,000-character key");

        await AssertUnchangedAsync(live, accepted);
    }

    [Fact]
    public async Task Bodies_over_the_limit_get_413_with_or_without_content_length()
    {
        var (live, accepted) = await StartLiveCountingAsync();

        // A valid webhook (about an unknown call) padded with white space to exactly the limit is read and ignored; one byte more is too large.
        var atLimit = Pad(Webhook("fuzz-call", "fuzz-control", "finished"), Limit);
        var overLimit = Pad(Webhook("fuzz-call", "fuzz-control", "finished"), Limit + 1);
        foreach (var chunked in new[] { false, true })
        {
            var how = chunked ? "chunked" : "with Content-Length";
            await ExpectSizedAsync(204, atLimit, signed: true, chunked, what: $"exactly the limit, {how}");
            await ExpectSizedAsync(413, overLimit, signed: true, chunked, what: $"one byte over, signed, {how}");
            await ExpectSizedAsync(413, overLimit, signed: false, chunked, what: $"one byte over, unsigned, {how}");
            await ExpectSizedAsync(413, Pad(live.Body("finished"), 4 * Limit), signed: true, chunked, what: $"four times the limit, ending the live playback, {how}");
            await ExpectSizedAsync(413, RandomBytes(new Random(0xF025), (int)(16 * Limit)), signed: false, chunked, what: $"1 MiB of random bytes, {how}");
        }

        await AssertUnchangedAsync(live, accepted);
    }

    [Fact]
    public async Task Badly_framed_http_bodies_get_a_4xx_and_never_a_5xx()
    {
        var (live, accepted) = await StartLiveCountingAsync();
        var body = live.Body("finished");
        var head = RawHead(body);

        // Bodies that can never be read whole: the client stops sending (half-closes) and waits for an answer.
        var cutOff = new (string What, string Head, byte[] Body)[]
        {
            ("a body shorter than its Content-Length", head + $"Content-Length: {body.Length + 100}\r\n\r\n", body),
            ("a chunked body cut off", head + "Transfer-Encoding: chunked\r\n\r\n", [.. Encoding.ASCII.GetBytes($"{body.Length + 50:x}\r\n"), .. body]),
            ("a chunked body without its last chunk", head + "Transfer-Encoding: chunked\r\n\r\n", [.. Encoding.ASCII.GetBytes($"{body.Length:x}\r\n"), .. body, .. "\r\n"u8]),
        };
        foreach (var (what, rawHead, rawBody) in cutOff)
        {
            var status = await RawAsync(rawHead, rawBody, halfClose: true);
            output.WriteLine($"{what}: {status?.ToString(CultureInfo.InvariantCulture) ?? "connection closed without an answer"}");
            Assert.True(status is null or (>= 400 and < 500), $"{what}: got {status}");
        }

        // Framing errors the server sees at once: it answers 400 (the connection stays open on the client's side).
        var badFraming = new (string What, string Head, byte[] Body)[]
        {
            ("a chunk size that is not hex", head + "Transfer-Encoding: chunked\r\n\r\n", "zz\r\n{}\r\n0\r\n\r\n"u8.ToArray()),
            ("a chunk longer than announced", head + "Transfer-Encoding: chunked\r\n\r\n", [.. Encoding.ASCII.GetBytes("4\r\n"), .. body, .. "\r\n0\r\n\r\n"u8]),
            ("a negative Content-Length", head + "Content-Length: -1\r\n\r\n", body),
            ("a Content-Length that is not a number", head + "Content-Length: 12abc\r\n\r\n", body),
            ("two different Content-Lengths", head + $"Content-Length: {body.Length}\r\nContent-Length: {body.Length + 1}\r\n\r\n", body),
            ("an unknown transfer coding", head + "Transfer-Encoding: gzip\r\n\r\n", body),
        };
        foreach (var (what, rawHead, rawBody) in badFraming)
        {
            var status = await RawAsync(rawHead, rawBody, halfClose: false);
            output.WriteLine($"{what}: {status?.ToString(CultureInfo.InvariantCulture) ?? "connection closed without an answer"}");
            Assert.True(status is >= 400 and < 500, $"{what}: got {status?.ToString(CultureInfo.InvariantCulture) ?? "no answer"}");
        }

        // Content-Length and chunked together (a request-smuggling shape): about an unknown call, so that even a lenient reading changes nothing.
        var harmless = Webhook("fuzz-call", "fuzz-control", "finished");
        var both = await RawAsync(RawHead(harmless) + $"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", [.. Encoding.ASCII.GetBytes($"{harmless.Length:x}\r\n"), .. harmless, .. "\r\n0\r\n\r\n"u8], halfClose: false);
        output.WriteLine($"Content-Length and chunked: {both?.ToString(CultureInfo.InvariantCulture) ?? "connection closed without an answer"}");
        Assert.True(both is 204 or (>= 400 and < 500), $"Content-Length and chunked: got {both}");

        await AssertUnchangedAsync(live, accepted);
    }

    [Fact]
    public async Task Wrong_content_types_change_nothing_the_signature_and_the_body_decide()
    {
        var (live, accepted) = await StartLiveCountingAsync();
        var contentTypes = new string?[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/xml", null, "not a media type;;;", "application/json; charset=utf-16" };
        foreach (var contentType in contentTypes)
        {
            var label = contentType ?? "(none)";
            await ExpectAsync(403, live.Body("finished"), signed: false, contentType: contentType, what: $"unsigned, {label}");
            await ExpectAsync(403, "call_id=x&state=finished"u8.ToArray(), signed: false, contentType: contentType, what: $"unsigned form body, {label}");
            await ExpectAsync(400, "call_id=x&state=finished"u8.ToArray(), signed: true, contentType: contentType, what: $"signed form body, {label}");
            await ExpectAsync(400, "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz--\r\n"u8.ToArray(), signed: true, contentType: contentType, what: $"signed multipart body, {label}");

            // A correctly signed, valid webhook is judged by its signature and body, whatever the header says.
            await ExpectAsync(204, Webhook("fuzz-call", "fuzz-control", "finished"), signed: true, contentType: contentType, what: $"signed webhook for an unknown call, {label}");
        }

        await AssertUnchangedAsync(live, accepted);
    }

    /// <summary>The loopback stack and an HTTP client for the endpoint.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly ConcurrentBag<IDisposable> _subscriptions = [];

        public LoopbackStack Stack { get; private set; } = null!;

        public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };

        public void Track(IDisposable subscription) => _subscriptions.Add(subscription);

        public async Task InitializeAsync() => Stack = await SecurityStack.StartAsync(new EmulatorOptions { Speed = 20 });

        public async Task DisposeAsync()
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Dispose();
            }

            Http.Dispose();
            if (Stack is not null)
            {
                await Stack.DisposeAsync();
            }
        }
    }
}
