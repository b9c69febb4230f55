using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Playback.Emulator;

/// <summary>
/// Sends signed status webhooks, in order per call (each call's webhooks go one after the other; calls do not wait
/// for each other), applying the webhook faults in force.
/// </summary>
internal sealed class WebhookDispatcher : IAsyncDisposable
{
    private readonly EmulatorOptions _options;
    private readonly EmulatorJournal _journal;
    private readonly EmulatorFaults _faults;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly object _gate = new();
    private readonly Dictionary<string, Task> _tails = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Outgoing> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _detached = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<string> _deadUrl = new(FindDeadUrl);

    public WebhookDispatcher(EmulatorOptions options, EmulatorJournal journal, EmulatorFaults faults, ILogger log)
    {
        _options = options;
        _journal = journal;
        _faults = faults;
        _log = log;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1), MaxConnectionsPerServer = 64 }) { Timeout = options.WebhookTimeout };
    }

    /// <summary>Queues one webhook. Called under the call's lock, so the call's order is the order of these calls.</summary>
    public void Enqueue(string callId, string? controlId, string url, string eventType, string state, byte[] body)
    {
        var outgoing = new Outgoing(callId, controlId, url, eventType, state, body);
        var fault = _faults.ForWebhook(state, callId);
        switch (fault?.Kind)
        {
            case WebhookFaultKind.Drop:
                Record(outgoing, url, "dropped", "drop");
                lock (_gate)
                {
                    ReleaseHeld(callId);
                }

                return;
            case WebhookFaultKind.Delay:
                var delay = TimeSpan.FromMilliseconds(fault.DelayMs ?? 1000);
                _detached.Add(Task.Run(async () =>
                {
                    await Task.Delay(delay, _options.Clock, _stopping.Token).ConfigureAwait(false);
                    await SendAsync(outgoing, url, $"delay {delay.TotalMilliseconds} ms").ConfigureAwait(false);
                }));
                return;
            case WebhookFaultKind.Reorder:
                var held = outgoing with { Fault = "reorder" };
                if (_held.TryAdd(callId, held))
                {
                    var hold = TimeSpan.FromMilliseconds(fault.DelayMs ?? 1000);
                    _detached.Add(Task.Run(async () =>
                    {
                        await Task.Delay(hold, _options.Clock, _stopping.Token).ConfigureAwait(false);
                        lock (_gate)
                        {
                            // Release only the webhook this timer was started for, not a newer one held since.
                            if (_held.TryGetValue(callId, out var current) && ReferenceEquals(current, held))
                            {
                                ReleaseHeld(callId);
                            }
                        }
                    }));
                    return;
                }

                break;
        }

        lock (_gate)
        {
            Chain(callId, () => SendAsync(outgoing, fault?.Kind == WebhookFaultKind.DeadUrl ? _deadUrl.Value : url, fault?.Kind == WebhookFaultKind.DeadUrl ? "dead url" : null));
            if (fault?.Kind == WebhookFaultKind.Duplicate)
            {
                Chain(callId, () => SendAsync(outgoing, url, "duplicate"));
            }

            ReleaseHeld(callId);
        }
    }

    /// <summary>Waits (up to a limit) for queued webhooks to go out, delayed and held ones included.</summary>
    public async Task DrainAsync(TimeSpan limit)
    {
        Task[] pending;
        lock (_gate)
        {
            pending = _tails.Values.Concat(_detached.Where(t => !t.IsCompleted)).ToArray();
        }

        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(limit)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await DrainAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        _stopping.Cancel();
        _http.Dispose();
        _stopping.Dispose();
    }

    internal static string Sign(string key, string url, byte[] body, bool sha256)
    {
        var data = Encoding.UTF8.GetBytes(url).Concat(body).ToArray();
        var keyBytes = Encoding.UTF8.GetBytes(key);
        return Convert.ToHexStringLower(sha256 ? HMACSHA256.HashData(keyBytes, data) : HMACSHA1.HashData(keyBytes, data));
    }

    private void ReleaseHeld(string callId)
    {
        if (_held.TryRemove(callId, out var held))
        {
            Chain(callId, () => SendAsync(held, held.Url, "reorder"));
        }
    }

    private void Chain(string callId, Func<Task> send)
    {
        var tail = _tails.GetValueOrDefault(callId) ?? Task.CompletedTask;
        Task next = null!;
        next = tail.ContinueWith(_ => send(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap()
            .ContinueWith(
                t =>
                {
                    lock (_gate)
                    {
                        if (_tails.TryGetValue(callId, out var current) && ReferenceEquals(current, next))
                        {
                            _tails.Remove(callId);
                        }
                    }
                },
                TaskScheduler.Default);
        _tails[callId] = next;
    }

    private async Task SendAsync(Outgoing outgoing, string url, string? fault)
    {
        string outcome;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(outgoing.Body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("X-SignalWire-Signature", Sign(_options.SigningKey, url, outgoing.Body, sha256: false));
            request.Headers.TryAddWithoutValidation("X-SignalWire-SHA256-Signature", Sign(_options.SigningKey, url, outgoing.Body, sha256: true));
            request.Headers.UserAgent.ParseAdd("SignalWire-Emulator/1.0");
            using var response = await _http.SendAsync(request, _stopping.Token).ConfigureAwait(false);
            outcome = $"delivered {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or SocketException)
        {
            outcome = "failed: " + e.Message;
        }

        Record(outgoing, url, outcome, fault ?? outgoing.Fault);
    }

    private void Record(Outgoing outgoing, string url, string outcome, string? fault)
    {
        _journal.Add(new JournalWebhook(_options.Clock.GetUtcNow(), outgoing.CallId, outgoing.ControlId, outgoing.EventType, outgoing.State, url, Encoding.UTF8.GetString(outgoing.Body), outcome, fault));
        _log.LogInformation("webhook {EventType} {State} call={CallId} control={ControlId} -> {Outcome}{Fault}", outgoing.EventType, outgoing.State, outgoing.CallId, outgoing.ControlId, outcome, fault is null ? string.Empty : $" (fault: {fault})");
    }

    private static string FindDeadUrl()
    {
        // A port that was free a moment ago and is closed now: connections to it are refused.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var port = ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
        return $"http://127.0.0.1:{port}/dead";
    }

    private sealed record Outgoing(string CallId, string? ControlId, string Url, string EventType, string State, byte[] Body)
    {
        public string? Fault { get; init; }
    }
}
