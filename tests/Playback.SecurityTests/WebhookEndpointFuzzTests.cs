using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
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
public sealed class WebhookEndpointFuzzTests(WebhookEndpointFuzzTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<WebhookEndpointFuzzTests.Fixture>
{
    private const string Sha256Header = "X-SignalWire-SHA256-Signature";
    private const string Sha1Header = "X-SignalWire-Signature";
    private const long Limit = PlaybackOptions.DefaultMaxWebhookBodyBytes;

    private int _requestTag;

    private SecurityStack Stack => fixture.Stack;

    private PlaybackManager Playback => fixture.Stack.Playback;

    [Fact]
    public async Task Seeded_random_bytes_with_a_valid_signature_get_400_or_204_and_never_a_5xx()
    {
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;
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
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;
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
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;
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
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;

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
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;

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
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;
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
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;
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

    [Fact]
    public async Task Forged_signatures_get_403_and_change_nothing()
    {
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;
        var url = Stack.WebhookUrl;
        var random = new Random(0xF026);
        foreach (var state in new[] { "finished", "error", "paused" })
        {
            var body = live.Body(state);
            var right256 = Sign(url, body);
            var right1 = Sign(url, body, sha1: true);
            var otherBody = live.Body(state == "paused" ? "playing" : "paused");
            var forgeries = new List<(string What, (string Name, string Value)[] Headers)>
            {
                ("no signature", []),
                ("empty SHA-256 header", [(Sha256Header, "")]),
                ("blank SHA-256 header", [(Sha256Header, "   ")]),
                ("random SHA-256 hex", [(Sha256Header, RandomHex(random, 64))]),
                ("random SHA-1 hex", [(Sha1Header, RandomHex(random, 40))]),
                ("right length, one digit changed", [(Sha256Header, FlipOneDigit(right256, random))]),
                ("SHA-1 right length, one digit changed", [(Sha1Header, FlipOneDigit(right1, random))]),
                ("truncated", [(Sha256Header, right256[..63])]),
                ("one digit too many", [(Sha256Header, right256 + "0")]),
                ("not hex", [(Sha256Header, new string('z', 64))]),
                ("base64 instead of hex", [(Sha256Header, Convert.ToBase64String(Convert.FromHexString(right256)))]),
                ("SHA-256 with another key", [(Sha256Header, Sign(url, body, key: "PSK-another-key"))]),
                ("SHA-1 with another key", [(Sha1Header, Sign(url, body, sha1: true, key: "PSK-another-key"))]),
                ("SHA-1 with an empty key", [(Sha1Header, Sign(url, body, sha1: true, key: ""))]),
                ("SHA-256 hash without a key", [(Sha256Header, Convert.ToHexStringLower(SHA256.HashData([.. Encoding.UTF8.GetBytes(url), .. body])))]),
                ("the SHA-1 value in the SHA-256 header", [(Sha256Header, right1)]),
                ("the SHA-256 value in the SHA-1 header", [(Sha1Header, right256)]),
                ("a wrong SHA-256 next to a right SHA-1", [(Sha256Header, RandomHex(random, 64)), (Sha1Header, right1)]),
                ("the right value twice in one header", [(Sha256Header, right256 + "," + right256)]),
                ("the right value under another header name", [("X-Signature", right256), ("X-Hub-Signature-256", "sha256=" + right256)]),
                ("replayed: the right signature of another body", [(Sha256Header, Sign(url, otherBody))]),
                ("replayed: the right SHA-1 of another body", [(Sha1Header, Sign(url, otherBody, sha1: true))]),
                ("replayed: the signature of the body without its last byte", [(Sha256Header, Sign(url, body[..^1]))]),
            };
            foreach (var (what, headers) in forgeries)
            {
                await ExpectAsync(403, body, headers: r => Add(r, headers), what: $"{what} ({state})");
            }
        }

        // A right signature with the body's JSON reformatted (same meaning, other bytes) is a forgery too.
        var reformatted = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(live.Body("finished")).Replace(",", ", ", StringComparison.Ordinal));
        await ExpectAsync(403, reformatted, headers: r => Add(r, [(Sha256Header, Sign(url, live.Body("finished")))]), what: "right signature, reformatted body");

        await AssertUnchangedAsync(live, accepted);
    }

    [Fact]
    public async Task Signatures_over_another_url_get_403_and_forwarded_headers_are_not_trusted()
    {
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;
        var body = live.Body("finished");
        var path = SecurityStack.WebhookPath;
        var query = "?tenant=a&x=1";
        var realWithQuery = Stack.WebhookUrl + query;
        var cases = new List<(string What, string PathAndQuery, string SignedUrl, (string Name, string Value)[] Headers)>
        {
            ("another host", path, $"http://localhost:{Stack.Port}{path}", []),
            ("another port", path, $"http://127.0.0.1:{Stack.Port + 1}{path}", []),
            ("https instead of http", path, $"https://127.0.0.1:{Stack.Port}{path}", []),
            ("without the port", path, $"http://127.0.0.1{path}", []),
            ("another path", path, $"{Stack.PublicBaseUrl}/other/events", []),
            ("a trailing slash", path, $"{Stack.WebhookUrl}/", []),
            ("the path only", path, path, []),
            ("missing query", path + query, Stack.WebhookUrl, []),
            ("another query", path + query, Stack.WebhookUrl + "?tenant=b&x=1", []),
            ("query reordered", path + query, Stack.WebhookUrl + "?x=1&tenant=a", []),
            ("query on a request without one", path, realWithQuery, []),
            ("X-Forwarded-Host", path, $"http://attacker.example{path}", [("X-Forwarded-Host", "attacker.example")]),
            ("X-Forwarded-Proto", path, $"https://127.0.0.1:{Stack.Port}{path}", [("X-Forwarded-Proto", "https")]),
            ("X-Forwarded-Host and -Proto", path, $"https://attacker.example{path}", [("X-Forwarded-Host", "attacker.example"), ("X-Forwarded-Proto", "https")]),
            ("Forwarded", path, $"https://attacker.example{path}", [("Forwarded", "host=attacker.example;proto=https")]),
            ("X-Original-Host and X-Forwarded-Prefix", path, $"http://attacker.example/prefix{path}", [("X-Original-Host", "attacker.example"), ("X-Forwarded-Prefix", "/prefix")]),
        };
        foreach (var (what, pathAndQuery, signedUrl, headers) in cases)
        {
            await ExpectAsync(403, body, pathAndQuery: pathAndQuery, headers: r => Add(r, [.. headers, (Sha256Header, Sign(signedUrl, body))]), what: what);
        }

        // A forged Host header with a signature over that host.
        await ExpectAsync(403, body, headers: r =>
        {
            r.Headers.Host = "attacker.example";
            Add(r, [(Sha256Header, Sign($"http://attacker.example{path}", body))]);
        }, what: "Host header");

        // Controls: the same forwarded headers, signed over the configured public URL (query included), are accepted; the headers are ignored, not merely rejected.
        var harmless = live.Body("playing");
        var forwarded = new[] { ("X-Forwarded-Host", "attacker.example"), ("X-Forwarded-Proto", "https"), ("Forwarded", "host=attacker.example;proto=https") };
        await ExpectAsync(204, harmless, headers: r => Add(r, [.. forwarded, (Sha256Header, Sign(Stack.WebhookUrl, harmless))]), what: "forwarded headers, signed over the public URL");
        await ExpectAsync(204, harmless, pathAndQuery: path + query, headers: r => Add(r, [.. forwarded, (Sha256Header, Sign(realWithQuery, harmless))]), what: "query, signed over the public URL with the query");

        await AssertUnchangedAsync(live, accepted, acceptedSince: 2);
    }

    [Fact]
    public async Task A_valid_signed_webhook_replayed_twice_is_accepted_and_changes_nothing_after_the_first()
    {
        // The emulator's own "playing" webhook of a live playback, replayed byte for byte with its signature.
        var live = await StartLiveAsync();
        var accepted = Playback.Statistics.WebhooksAccepted;
        var playing = Stack.Emulator.Journal.Webhooks.Single(w => w.ControlId == live.ControlId && w.State == "playing");
        var playingBody = Encoding.UTF8.GetBytes(playing.Body);
        Assert.Equal(Stack.WebhookUrl, playing.Url);
        for (var i = 0; i < 2; i++)
        {
            await ExpectAsync(204, playingBody, headers: r => Add(r, [(Sha256Header, Sign(playing.Url, playingBody)), (Sha1Header, Sign(playing.Url, playingBody, sha1: true))]), what: $"replay {i + 1} of playing");
        }

        await AssertUnchangedAsync(live, accepted, acceptedSince: 2);

        // A signed "finished" sent three times: the first ends the playback, the replays are accepted and change nothing.
        var ending = await StartLiveAsync();
        var finished = ending.Body("finished");
        var before = Playback.Statistics.WebhooksAccepted;
        await ExpectAsync(204, finished, signed: true, what: "finished");
        Assert.Equal(PlaybackState.Finished, (await ending.Handle.Completion.WaitAsync(Support.Patience)).State);
        await Support.EventuallyAsync(() => ending.Events.Any(e => e.State == PlaybackState.Finished), "the Finished event");
        var events = ending.Events.Count;
        for (var i = 0; i < 2; i++)
        {
            await ExpectAsync(204, finished, signed: true, what: $"replay {i + 1} of finished");
        }

        // The emulator's truth is untouched by what Playback was told.
        Assert.Equal(before + 3, Playback.Statistics.WebhooksAccepted);
        Assert.Equal(PlaybackState.Finished, ending.Handle.Current);
        Assert.Equal(events, ending.Events.Count);
        Assert.Empty(Playback.Snapshot(ending.CallId));

        // A playback that finished on its own, and the emulator's "finished" webhook replayed twice afterwards.
        var callId = Stack.NewCall();
        var recorded = new ConcurrentQueue<PlaybackEvent>();
        using var subscription = Playback.EventsFor(callId).Subscribe(recorded.Enqueue);
        var handle = await Playback.PlayAsync(callId, [Media.Tts("Hi")]);
        Assert.Equal(PlaybackState.Finished, (await handle.Completion.WaitAsync(Support.Patience)).State);
        await Support.EventuallyAsync(() => Stack.Emulator.Journal.Webhooks.Any(w => w.ControlId == handle.ControlId && w.State == "finished" && w.Outcome.StartsWith("delivered", StringComparison.Ordinal)), "the emulator's finished webhook");
        await Support.EventuallyAsync(() => recorded.Any(e => e.State == PlaybackState.Finished), "the Finished event");
        var emulatorFinished = Stack.Emulator.Journal.Webhooks.Single(w => w.ControlId == handle.ControlId && w.State == "finished");
        var finishedBody = Encoding.UTF8.GetBytes(emulatorFinished.Body);
        var eventsBefore = recorded.Count;
        for (var i = 0; i < 2; i++)
        {
            await ExpectAsync(204, finishedBody, headers: r => Add(r, [(Sha256Header, Sign(emulatorFinished.Url, finishedBody))]), what: $"replay {i + 1} of the emulator's finished");
        }

        Assert.Equal(PlaybackState.Finished, handle.Current);
        Assert.Equal(eventsBefore, recorded.Count);
    }

    // ---- live playbacks and the no-change check ----

    /// <summary>Starts an endless playback on a new call and waits until its "playing" webhook has been handled and its events delivered.</summary>
    private async Task<Live> StartLiveAsync()
    {
        var callId = Stack.NewCall();
        var events = new ConcurrentQueue<PlaybackEvent>();
        var subscription = Playback.EventsFor(callId).Subscribe(events.Enqueue);
        fixture.Track(subscription);
        var handle = await Playback.PlayAsync(callId, [Media.Silence(1)], new PlayOptions { Loop = 0 });
        await Support.EventuallyAsync(
            () => Stack.Emulator.Journal.Webhooks.Any(w => w.ControlId == handle.ControlId && w.State == "playing" && w.Outcome.StartsWith("delivered", StringComparison.Ordinal)),
            "the emulator's playing webhook");
        var live = new Live(callId, handle, events);
        await BarrierAsync(live);
        Assert.Equal(PlaybackState.Playing, handle.Current);
        return live;
    }

    /// <summary>
    /// Checks that nothing changed the live playback: a volume command goes through the call's actor and the event
    /// stream after everything sent before it, so once its event is seen no earlier change can still be on its way.
    /// Then: no state event since the start, still Playing for Playback and for the emulator, and WebhooksAccepted grown
    /// only by the accepted webhooks the test sent on purpose.
    /// </summary>
    private async Task AssertUnchangedAsync(Live live, long acceptedBefore, int acceptedSince = 0)
    {
        var stateEventsBefore = live.StateEventsAtStart;
        await BarrierAsync(live);
        Assert.Equal(stateEventsBefore, live.Events.Count(e => e.Change == PlaybackChange.State));
        Assert.All(live.Events.Where(e => e.ControlId == live.ControlId), e => Assert.True(e.State is PlaybackState.Starting or PlaybackState.Playing, $"unexpected event {e}"));
        Assert.Equal(PlaybackState.Playing, live.Handle.Current);
        Assert.Equal("playing", Stack.Emulator.GetPlay(live.CallId, live.ControlId)!.State);
        Assert.Equal(acceptedBefore + acceptedSince, Playback.Statistics.WebhooksAccepted);
        Assert.Equal(PlaybackState.Playing, Assert.Single(Playback.Snapshot(live.CallId)).State);
    }

    private static async Task BarrierAsync(Live live)
    {
        var volume = -1.0 - live.NextBarrier();
        await live.Handle.SetVolumeAsync(volume);
        await Support.EventuallyAsync(() => live.Events.Any(e => e.Change == PlaybackChange.Volume && e.Volume == volume), "the barrier's volume event");
        live.StateEventsAtStart ??= live.Events.Count(e => e.Change == PlaybackChange.State);
    }

    // ---- HTTP ----

    private async Task ExpectAsync(int status, byte[] body, bool signed = false, Action<HttpRequestMessage>? headers = null, string? contentType = "application/json", string? pathAndQuery = null, bool chunked = false, string what = "")
    {
        var reply = await PostAsync(body, signed, headers, contentType, pathAndQuery, chunked);
        Assert.True(reply.Status == status, $"{what}: expected {status}, got {reply.Status} {reply.Body}");
    }

    /// <summary>
    /// Posts a body of a given size and checks the status the server answered, as the client saw it and as the server
    /// logged it. Over the limit, the server answers as soon as it knows and then stops reading (it does not drain an
    /// unbounded body), so a client still sending the rest may fail with a broken connection instead of seeing the answer:
    /// the server's own log of the request then says what it answered.
    /// </summary>
    private async Task ExpectSizedAsync(int status, byte[] body, bool signed, bool chunked, string what)
    {
        var tag = "c" + Interlocked.Increment(ref _requestTag).ToString(CultureInfo.InvariantCulture) + "z";
        var pathAndQuery = $"{SecurityStack.WebhookPath}?case={tag}";
        try
        {
            var reply = await PostAsync(body, signed, pathAndQuery: pathAndQuery, chunked: chunked);
            Assert.True(reply.Status == status, $"{what}: expected {status}, got {reply.Status} {reply.Body}");
        }
        catch (HttpRequestException e) when (body.Length > Limit && e.InnerException is IOException)
        {
            output.WriteLine($"{what}: the connection was closed while the body was still being sent ({e.InnerException.Message})");
        }

        string? logged = null;
        await Support.EventuallyAsync(() => (logged = Stack.Logs.Entries.FirstOrDefault(e => e.Contains("Request finished", StringComparison.Ordinal) && e.Contains("case=" + tag, StringComparison.Ordinal))) is not null, $"the server's log of {what}");
        Assert.True(logged!.Contains($" - {status} ", StringComparison.Ordinal), $"{what}: expected {status}, the server logged {logged}");
    }

    private async Task<Reply> PostAsync(byte[] body, bool signed = false, Action<HttpRequestMessage>? headers = null, string? contentType = "application/json", string? pathAndQuery = null, bool chunked = false)
    {
        pathAndQuery ??= SecurityStack.WebhookPath;
        using var request = new HttpRequestMessage(HttpMethod.Post, Stack.PublicBaseUrl + pathAndQuery);
        HttpContent content = chunked ? new ChunkedContent(body) : new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        request.Content = content;
        if (signed)
        {
            request.Headers.TryAddWithoutValidation(Sha256Header, Sign(Stack.PublicBaseUrl + pathAndQuery, body));
        }

        headers?.Invoke(request);
        using var response = await fixture.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var code = (int)response.StatusCode;
        Assert.True(code < 500, $"a 5xx ({code} {text}) for a request of {body.Length} bytes");
        return new Reply(code, text);
    }

    private string RawHead(byte[] body) =>
        $"POST {SecurityStack.WebhookPath} HTTP/1.1\r\nHost: 127.0.0.1:{Stack.Port}\r\nContent-Type: application/json\r\n{Sha256Header}: {Sign(Stack.WebhookUrl, body)}\r\n";

    /// <summary>Sends raw bytes (half-closing the connection when asked) and reads the status line; null when the server closed or reset the connection without answering.</summary>
    private async Task<int?> RawAsync(string head, byte[] body, bool halfClose)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Stack.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
        if (halfClose)
        {
            client.Client.Shutdown(SocketShutdown.Send);
        }

        using var limit = new CancellationTokenSource(Support.Patience);
        var received = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            int read;
            while (!Encoding.ASCII.GetString(received.ToArray()).Contains("\r\n", StringComparison.Ordinal) && (read = await stream.ReadAsync(buffer, limit.Token)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (IOException)
        {
            // Reset by the server: no answer.
        }

        var text = Encoding.ASCII.GetString(received.ToArray());
        var parts = text.Split(' ', 3);
        return parts.Length >= 2 && text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(parts[1], CultureInfo.InvariantCulture) : null;
    }

    private string Sign(string url, byte[] body, bool sha1 = false, string? key = null)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key ?? Stack.Emulator.SigningKey);
        byte[] data = [.. Encoding.UTF8.GetBytes(url), .. body];
        return Convert.ToHexStringLower(sha1 ? HMACSHA1.HashData(keyBytes, data) : HMACSHA256.HashData(keyBytes, data));
    }

    private static void Add(HttpRequestMessage request, (string Name, string Value)[] headers)
    {
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    // ---- bodies ----

    private static byte[] Webhook(string callId, string controlId, string state, double? timestamp = null)
    {
        var ts = timestamp is { } t ? $"\"timestamp\":{t.ToString("R", CultureInfo.InvariantCulture)}," : string.Empty;
        return Encoding.UTF8.GetBytes(
            $$$"""{"event_type":"calling.call.play","event_channel":"swml:fuzz",{{{ts}}}"project_id":"p","space_id":"s","params":{"call_id":"{{{callId}}}","node_id":"n","control_id":"{{{controlId}}}","state":"{{{state}}}"}}""");
    }

    private static byte[] Pad(byte[] json, long length)
    {
        var padding = (int)(length - json.Length);
        Assert.True(padding >= 0);
        return [.. json[..^1], .. Enumerable.Repeat((byte)' ', padding), .. json[^1..]];
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomHex(Random random, int length) => Convert.ToHexStringLower(RandomBytes(random, (length + 1) / 2))[..length];

    private static string RandomAscii(Random random, int length) => new(Enumerable.Range(0, length).Select(_ => (char)random.Next(0x21, 0x7f)).ToArray());

    private static string FlipOneDigit(string hex, Random random)
    {
        var chars = hex.ToCharArray();
        var i = random.Next(chars.Length);
        chars[i] = chars[i] == '0' ? '1' : '0';
        return new string(chars);
    }

    /// <summary>One to four random edits of a JSON body: delete, insert or replace bytes, cut it short, repeat a slice, or swap a value for one of another type.</summary>
    private static byte[] Mutate(Random random, byte[] template)
    {
        var text = Encoding.UTF8.GetString(template);
        var bytes = template.ToList();
        for (var n = random.Next(1, 5); n > 0; n--)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(7))
            {
                case 0 when bytes.Count > 0:
                    bytes.RemoveRange(Math.Min(at, bytes.Count - 1), Math.Min(random.Next(1, 8), bytes.Count - Math.Min(at, bytes.Count - 1)));
                    break;
                case 1:
                    bytes.InsertRange(at, RandomBytes(random, random.Next(1, 4)));
                    break;
                case 2 when bytes.Count > 0:
                    const string JsonChars = "{}[]\":,0-e.\\ntfu";
                    bytes[Math.Min(at, bytes.Count - 1)] = (byte)JsonChars[random.Next(JsonChars.Length)];
                    break;
                case 3:
                    bytes = bytes.Take(at).ToList();
                    break;
                case 4 when bytes.Count > 0:
                    var start = random.Next(bytes.Count);
                    bytes.InsertRange(at, bytes.Skip(start).Take(random.Next(1, 20)).ToList());
                    break;
                default:
                    string[] values = ["\"fuzz-call\"", "\"fuzz-control\"", "\"finished\"", "\"ended\"", "\"paused\""];
                    string[] replacements = ["1", "-1e400", "null", "true", "[]", "{}", "\"\"", "\"   \"", "\"\\u0000\"", "[\"x\"]", "{\"a\":{}}", "\"\\ud800\"", "1.7976931348623157E+309"];
                    var target = values[random.Next(values.Length)];
                    text = Encoding.UTF8.GetString(bytes.ToArray());
                    if (text.Contains(target, StringComparison.Ordinal))
                    {
                        bytes = Encoding.UTF8.GetBytes(text.Replace(target, replacements[random.Next(replacements.Length)], StringComparison.Ordinal)).ToList();
                    }

                    break;
            }
        }

        return bytes.ToArray();
    }

    private sealed record Reply(int Status, string Body);

    private sealed class Live(string callId, PlaybackHandle handle, ConcurrentQueue<PlaybackEvent> events)
    {
        private int _barriers;

        public string CallId { get; } = callId;

        public PlaybackHandle Handle { get; } = handle;

        public string ControlId => Handle.ControlId;

        public ConcurrentQueue<PlaybackEvent> Events { get; } = events;

        public int? StateEventsAtStart { get; set; }

        public int NextBarrier() => Interlocked.Increment(ref _barriers) % 39;

        /// <summary>A calling.call.play webhook about this playback, in the emulator's envelope, with a current timestamp.</summary>
        public byte[] Body(string state) => Webhook(CallId, ControlId, state, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + 1);
    }

    /// <summary>Content without a length, so HttpClient sends it chunked.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var i = 0; i < bytes.Length; i += 4096)
            {
                await stream.WriteAsync(bytes.AsMemory(i, Math.Min(4096, bytes.Length - i)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>The loopback stack and an HTTP client for the endpoint.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly ConcurrentBag<IDisposable> _subscriptions = [];

        public SecurityStack Stack { get; private set; } = null!;

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
