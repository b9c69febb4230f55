using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Playback.SecurityTests;

/// <summary>Live playbacks, the no-change check, and requests sent as raw HTTP.</summary>
public sealed partial class WebhookEndpointFuzzTests
{
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

    /// <summary>Starts a live playback, then reads how many webhooks Playback has accepted so far (the base for <see cref="AssertUnchangedAsync"/>).</summary>
    private async Task<(Live Live, long Accepted)> StartLiveCountingAsync()
    {
        var live = await StartLiveAsync();
        return (live, Playback.Statistics.WebhooksAccepted);
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
        await Support.EventuallyAsync(() => (logged = Stack.Logs!.Lines.FirstOrDefault(e => e.Contains("Request finished", StringComparison.Ordinal) && e.Contains("case=" + tag, StringComparison.Ordinal))) is not null, $"the server's log of {what}");
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
}
