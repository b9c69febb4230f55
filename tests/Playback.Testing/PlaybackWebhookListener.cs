using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Playback.Testing;

/// <summary>
/// A minimal webhook endpoint on 127.0.0.1 that hands every POST to <see cref="PlaybackManager.HandleWebhookAsync"/>
/// (the ASP.NET Core integration arrives with the hosting issue) and records what it decided.
/// </summary>
public sealed class PlaybackWebhookListener : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string State, WebhookResult Result)> _handled = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private LoopbackWebApp _web = null!;

    private PlaybackWebhookListener()
    {
    }

    /// <summary>The URL to use as status_url (exactly the string the signature is checked against).</summary>
    public string Url => _web.BaseUrl + "/signalwire/events";

    /// <summary>The manager webhooks are handed to.</summary>
    public PlaybackManager? Manager { get; set; }

    public IReadOnlyList<(string State, WebhookResult Result)> Handled => _handled.ToList();

    /// <summary>Starts a listener on a loopback port; set <see cref="Manager"/> before webhooks arrive.</summary>
    /// <returns>The running listener.</returns>
    public static async Task<PlaybackWebhookListener> StartAsync()
    {
        var listener = new PlaybackWebhookListener();
        listener._web = await LoopbackWebApp.StartAsync(map: app => app.MapPost("/signalwire/events", listener.HandleAsync));
        return listener;
    }

    /// <summary>Waits until at least <paramref name="count"/> webhooks have been handled.</summary>
    public async Task<IReadOnlyList<(string State, WebhookResult Result)>> WaitForAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (_handled.Count < count)
        {
            await _arrived.WaitAsync(cts.Token);
        }

        return Handled;
    }

    public ValueTask DisposeAsync() => _web.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var headers = context.Request.Headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString())).ToList();
        var result = await Manager!.HandleWebhookAsync(Url, headers, body);
        _handled.Enqueue((StateOf(body), result));
        _arrived.Release();
        context.Response.StatusCode = result.Status == WebhookStatus.Rejected ? 403 : 204;
    }

    private static string StateOf(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var p = doc.RootElement.GetProperty("params");
        return p.TryGetProperty("state", out var s) ? s.GetString()! : "call " + p.GetProperty("call_state").GetString();
    }
}
