using Flurl.Http;
using Flurl.Http.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Playback.Tests;

/// <summary>
/// What counts as a success, against servers that answer in ways the emulator never does, over real HTTP (Flurl's
/// <c>HttpTest</c> bypasses HttpClient's redirects and body reads): only a 2xx from the calls endpoint is a success,
/// whatever its body; nothing else below 400 is.
/// </summary>
public partial class CallingApiTests
{
    [Theory]
    [InlineData(300)]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(304)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task An_answer_below_400_that_is_not_a_2xx_is_a_final_refusal_and_its_redirect_is_not_followed(int status)
    {
        await using var server = await AnsweringServer.StartAsync(c =>
        {
            c.Response.StatusCode = status;
            c.Response.Headers.Location = "/maintenance";
            return Task.CompletedTask;
        });
        using var api = new CallingApi(Settings with { Space = null, BaseUrl = new Uri(server.Web.BaseUrl) });

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal(status, e.StatusCode);
        Assert.False(e.IsTransient);
        Assert.False(e.MayHaveBeenApplied);
        Assert.Equal((1, 0), (server.Commands, server.Elsewhere));
    }

    [Fact]
    public async Task A_redirect_that_an_injected_client_follows_is_not_taken_for_the_endpoint_s_success()
    {
        // A client whose handler follows redirects itself (HttpClient's default): the 200 comes from another address.
        await using var server = await AnsweringServer.StartAsync(c =>
        {
            c.Response.StatusCode = 307;
            c.Response.Headers.Location = "/maintenance";
            return Task.CompletedTask;
        });
        using var client = new FlurlClient(new HttpClient(), server.Web.BaseUrl);
        using var api = new CallingApi(Settings with { Space = null, BaseUrl = new Uri(server.Web.BaseUrl) }, client);

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal(200, e.StatusCode);
        Assert.True(e.MayHaveBeenApplied); // a 307 keeps the POST and its body: the other address may have acted on it
        Assert.Equal((1, 1), (server.Commands, server.Elsewhere));
    }

    [Theory]
    [InlineData(200, """{"code":"200","message":"Playing"}""")]
    [InlineData(200, "")]
    [InlineData(200, "<html>ok</html>")]
    [InlineData(202, "")]
    [InlineData(204, "")]
    public async Task A_2xx_is_a_success_whatever_its_body(int status, string body)
    {
        await using var server = await AnsweringServer.StartAsync(async c =>
        {
            c.Response.StatusCode = status;
            if (body.Length > 0)
            {
                await c.Response.WriteAsync(body);
            }
        });
        using var api = new CallingApi(Settings with { Space = null, BaseUrl = new Uri(server.Web.BaseUrl) });

        await PauseAsync(api);

        Assert.Equal(1, server.Commands);
    }

    [Fact]
    public async Task A_2xx_whose_body_breaks_off_is_still_a_success_sent_once()
    {
        // A server (raw socket) that announces a longer body than it sends, then closes: the status came, the body never completes.
        using var listener = Loopback.BindSocket();
        listener.Listen();
        var port = ((System.Net.IPEndPoint)listener.LocalEndPoint!).Port;
        var requests = 0;
        var serving = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync();
            var received = new List<byte>();
            var buffer = new byte[4096];
            while (!RequestComplete(received))
            {
                var n = await connection.ReceiveAsync(buffer);
                if (n == 0)
                {
                    return;
                }

                received.AddRange(buffer.AsSpan(0, n).ToArray());
            }

            Interlocked.Increment(ref requests);
            await connection.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 120\r\n\r\n{\"code\":\"200\",\"mess"u8.ToArray());
            connection.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        });
        using var api = new CallingApi(Settings with { Space = null, BaseUrl = new Uri($"http://127.0.0.1:{port}") });

        await PauseAsync(api);
        await serving;

        Assert.Equal(1, Volatile.Read(ref requests));
    }

    /// <summary>Whether <paramref name="received"/> holds a whole HTTP/1.1 request: its headers and the body their Content-Length announces.</summary>
    private static bool RequestComplete(List<byte> received)
    {
        var text = System.Text.Encoding.ASCII.GetString([.. received]);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        var length = text[..end].Split("\r\n").Select(h => h.Split(':', 2)).Where(h => h.Length == 2 && h[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(h => int.Parse(h[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        return received.Count >= end + 4 + length;
    }

    [Theory]
    [InlineData("""{"errors":[{"type":"validation_error","code":1017,"message":"exists","attribute":"control_id"}]}""", "1017")]
    [InlineData("""{"errors":[{"type":7,"code":true,"message":{"en":"exists"},"attribute":"control_id"}]}""", "true")]
    [InlineData("""{"errors":[{"code":null,"attribute":"control_id"}]}""", null)]
    public async Task Error_items_are_read_whatever_JSON_types_a_server_uses_for_their_texts(string body, string? code)
    {
        using var http = new HttpTest();
        http.RespondWith(body, 422);
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, CancellationToken.None));

        Assert.True(e.NamesAttribute("control_id"));
        Assert.Equal(code, Assert.Single(e.Errors).Code);
    }

    [Fact]
    public async Task An_error_whose_text_is_an_object_keeps_it_as_JSON()
    {
        using var http = new HttpTest();
        http.RespondWith("""{"error":{"message":"quota"}}""", 400);
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal("""{"message":"quota"}""", e.ServerMessage);
    }

    [Fact]
    public async Task An_error_answer_whose_body_stalls_fails_within_the_request_timeout()
    {
        // Headers at once, then a body that never comes: the HTTP client's timeout ended with the headers.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await AnsweringServer.StartAsync(async c =>
        {
            c.Response.StatusCode = 503;
            c.Response.ContentLength = 1000;
            await c.Response.WriteAsync("{\"error\":");
            await c.Response.Body.FlushAsync();
            await release.Task.WaitAsync(c.RequestAborted);
        });
        using var api = new CallingApi(Settings with { Space = null, BaseUrl = new Uri(server.Web.BaseUrl), RequestTimeout = TimeSpan.FromMilliseconds(500) });

        try
        {
            var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api).WaitAsync(TimeSpan.FromSeconds(30)));

            Assert.Equal(503, e.StatusCode);
            Assert.True(e.IsTransient);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json; charset=no-such-charset")]
    public async Task An_error_body_with_a_byte_order_mark_is_read_as_its_errors(string contentType)
    {
        await using var server = await AnsweringServer.StartAsync(async c =>
        {
            c.Response.StatusCode = 422;
            c.Response.ContentType = contentType;
            byte[] body = [0xEF, 0xBB, 0xBF, .. """{"errors":[{"code":"exists","attribute":"control_id"}]}"""u8.ToArray()];
            await c.Response.Body.WriteAsync(body);
        });
        using var api = new CallingApi(Settings with { Space = null, BaseUrl = new Uri(server.Web.BaseUrl) });

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.True(e.NamesAttribute("control_id"));
    }

    [Fact]
    public async Task An_error_answer_with_a_body_that_cannot_be_decoded_keeps_its_status()
    {
        await using var server = await AnsweringServer.StartAsync(async c =>
        {
            c.Response.StatusCode = 503;
            c.Response.Headers.ContentEncoding = "gzip";
            await c.Response.Body.WriteAsync("not gzip at all"u8.ToArray());
        });
        using var api = new CallingApi(Settings with { Space = null, BaseUrl = new Uri(server.Web.BaseUrl) });

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal(503, e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.True(e.MayHaveBeenApplied);
    }

    /// <summary>A loopback server whose calls endpoint answers with <c>answer</c>, and that counts what reaches it and its other addresses.</summary>
    private sealed class AnsweringServer : IAsyncDisposable
    {
        private int _commands;
        private int _elsewhere;

        private AnsweringServer(LoopbackWebApp web) => Web = web;

        public LoopbackWebApp Web { get; }

        public int Commands => Volatile.Read(ref _commands);

        public int Elsewhere => Volatile.Read(ref _elsewhere);

        public static async Task<AnsweringServer> StartAsync(Func<HttpContext, Task> answer)
        {
            AnsweringServer? server = null;
            var web = await LoopbackWebApp.StartAsync(map: app =>
            {
                app.MapPost("/api/calling/calls", async (HttpContext c) =>
                {
                    Interlocked.Increment(ref server!._commands);
                    await answer(c);
                });
                app.Map("/maintenance", (HttpContext c) =>
                {
                    Interlocked.Increment(ref server!._elsewhere);
                    c.Response.StatusCode = 200;
                });
            });
            server = new AnsweringServer(web);
            return server;
        }

        public ValueTask DisposeAsync() => Web.DisposeAsync();
    }
}
