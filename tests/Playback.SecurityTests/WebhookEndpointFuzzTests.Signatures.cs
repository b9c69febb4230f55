using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Playback.SecurityTests;

/// <summary>Forged signatures, signatures over another URL, forwarded headers and replays.</summary>
public sealed partial class WebhookEndpointFuzzTests
{
    [Fact]
    public async Task Forged_signatures_get_403_and_change_nothing()
    {
        var (live, accepted) = await StartLiveCountingAsync();
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
        var (live, accepted) = await StartLiveCountingAsync();
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
        var (live, accepted) = await StartLiveCountingAsync();
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

        // The emulator's truth is untouched by what Playback was told. (A 204 means handed off: counted once applied.)
        await Support.EventuallyAsync(() => Playback.Statistics.WebhooksAccepted >= before + 3, "the three finished webhooks counted");
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
}
