using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace Playback.Testing;

/// <summary>One POST a <see cref="WebhookSink"/> received.</summary>
/// <param name="Url">The full URL as the sender used it (scheme, host, port, path and query).</param>
/// <param name="Headers">The request headers (case-insensitive names; repeated values joined with a comma).</param>
/// <param name="Body">The exact body bytes.</param>
public sealed record Received(string Url, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The body as text.</summary>
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The body parsed as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    /// <summary>The body's <c>event_type</c>, or null.</summary>
    public string? EventType => Json.TryGetProperty("event_type", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    /// <summary>The body's <c>params.state</c> (play events), or null.</summary>
    public string? State => Param("state");

    /// <summary>The body's <c>params.call_state</c> (call events), or null.</summary>
    public string? CallState => Param("call_state");

    /// <summary>The body's <c>params.control_id</c>, or null.</summary>
    public string? ControlId => Param("control_id");

    /// <summary>A string member of the body's <c>params</c>, or null.</summary>
    /// <param name="name">The member.</param>
    /// <returns>Its value, or null when absent or not a string.</returns>
    public string? Param(string name) =>
        Json.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    /// <summary>A header value, or null.</summary>
    /// <param name="name">The header name (any case).</param>
    /// <returns>The value, or null when absent.</returns>
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// A minimal Kestrel app on 127.0.0.1 (<see cref="LoopbackWebApp"/>) that records every POST it receives (URL, headers, raw body) and
/// answers 204 (or <see cref="StatusCode"/>). <see cref="WaitForAsync(int, TimeSpan)"/> waits on an arrival signal, not a sleep.
/// </summary>
public sealed class WebhookSink : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<Received> _received = [];
    private LoopbackWebApp _web = null!;
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebhookSink()
    {
    }

    /// <summary>The sink's origin, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl => _web.BaseUrl;

    /// <summary>The default webhook URL, <c>{BaseUrl}/hook</c> (any other path on the sink records too).</summary>
    public string Url => BaseUrl + "/hook";

    /// <summary>The status answered to every POST.</summary>
    public int StatusCode { get; set; } = 204;

    /// <summary>Everything received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<Received> Received
    {
        get
        {
            lock (_gate)
            {
                return _received.ToList();
            }
        }
    }

    /// <summary>Starts a sink on a loopback port.</summary>
    /// <returns>The running sink; dispose it to stop.</returns>
    public static async Task<WebhookSink> StartAsync()
    {
        var sink = new WebhookSink();
        sink._web = await LoopbackWebApp.StartAsync(map: app => app.Run(sink.HandleAsync));
        return sink;
    }

    /// <summary>Waits until at least <paramref name="count"/> POSTs have arrived.</summary>
    /// <param name="count">How many.</param>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>Everything received (at least <paramref name="count"/> items).</returns>
    /// <exception cref="TimeoutException">Fewer arrived within the timeout.</exception>
    public Task<IReadOnlyList<Received>> WaitForAsync(int count, TimeSpan timeout) =>
        WaitForAsync(r => r.Count >= count, timeout, $"{count} webhook(s)");

    /// <summary>Waits until what has arrived satisfies <paramref name="done"/>.</summary>
    /// <param name="done">The condition over everything received so far.</param>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="what">Describes the wait in the timeout message.</param>
    /// <returns>Everything received.</returns>
    /// <exception cref="TimeoutException">The condition did not hold within the timeout.</exception>
    public async Task<IReadOnlyList<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan timeout, string what = "the condition")
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task signal;
            List<Received> snapshot;
            lock (_gate)
            {
                snapshot = _received.ToList();
                signal = _arrived.Task;
            }

            if (done(snapshot))
            {
                return snapshot;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                var states = string.Join(", ", snapshot.Select(r => r.State ?? r.CallState ?? "?"));
                throw new TimeoutException($"Waited {timeout.TotalSeconds} s for {what}; received {snapshot.Count}: [{states}].");
            }

            await Task.WhenAny(signal, Task.Delay(left));
        }
    }

    /// <summary>Stops the sink.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public ValueTask DisposeAsync() => _web.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = 405;
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in context.Request.Headers)
        {
            headers[name] = values.ToString();
        }

        var received = new Received(context.Request.GetEncodedUrl(), headers, buffer.ToArray());
        TaskCompletionSource arrived;
        lock (_gate)
        {
            _received.Add(received);
            arrived = _arrived;
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        arrived.TrySetResult();
        context.Response.StatusCode = StatusCode;
    }
}
