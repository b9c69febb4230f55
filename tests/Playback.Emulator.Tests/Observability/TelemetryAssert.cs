using System.Text;
using Playback.Testing;

namespace Playback.Emulator.Tests.Observability;

/// <summary>Assertions that compare the captured telemetry with what the emulator and the webhook listener saw.</summary>
internal static class TelemetryAssert
{
    private static readonly HashSet<string> MetricTagKeys =
    [
        "playback.command", "playback.outcome", "http.response.status_code", "error.type",
        "playback.breaker.state", "playback.webhook.result", "playback.webhook.event",
    ];

    /// <summary>One <c>playback.api.requests</c> (and one duration) per request in the journal, with its command and status (a dropped connection: no status, an error type).</summary>
    public static void RequestsMatchJournal(TelemetryCapture telemetry, CallingEmulator emulator)
    {
        static string Expected(JournalRequest r) => $"{r.Command!.Split('.').Last().Replace("calling", "play", StringComparison.Ordinal)} {(r.Status == 0 ? "no status" : r.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
        static string Actual(Measured m) => $"{m.Tag("playback.command")} {(m.Tag("http.response.status_code") is int status ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : m.Tag("error.type") is string ? "no status" : "neither")}";

        var journal = emulator.Journal.Requests.Select(Expected).Order().ToList();
        Assert.Equal(journal, telemetry.Of("playback.api.requests").Select(Actual).Order().ToList());
        Assert.Equal(journal, telemetry.Of("playback.api.request.duration").Select(Actual).Order().ToList());
        Assert.All(telemetry.Of("playback.api.request.duration"), m => Assert.True(m.Value is > 0 and < 60, $"duration {m.Value} s"));
    }

    /// <summary>The <c>playback.webhooks</c> counts by result equal what the listener got back from Playback, plus the forged ones.</summary>
    public static void WebhooksMatchListener(TelemetryCapture telemetry, PlaybackWebhookListener listener, int rejected = 0)
    {
        var handled = listener.Handled;
        var counted = telemetry.Of("playback.webhooks");
        Assert.Equal(handled.Count(h => h.Result.Status == WebhookStatus.Accepted), counted.Count(m => (string?)m.Tag("playback.webhook.result") == "accepted"));
        Assert.Equal(handled.Count(h => h.Result.Status == WebhookStatus.Ignored), counted.Count(m => (string?)m.Tag("playback.webhook.result") == "ignored"));
        Assert.Equal(handled.Count(h => h.Result.Status == WebhookStatus.Rejected) + rejected, counted.Count(m => (string?)m.Tag("playback.webhook.result") == "rejected"));
        Assert.All(counted.Where(m => (string?)m.Tag("playback.webhook.result") != "rejected"), m => Assert.Contains(m.Tag("playback.webhook.event"), new object[] { "calling.call.play", "calling.call.state" }));
    }

    /// <summary>Sends webhooks with a wrong signature straight to the manager; each must be rejected.</summary>
    public static async Task<int> SendForgedWebhooksAsync(PlaybackManager playback, string url, string callId, string controlId, int count)
    {
        var body = Encoding.UTF8.GetBytes($$$"""{"event_type":"calling.call.play","params":{"call_id":"{{{callId}}}","control_id":"{{{controlId}}}","state":"finished"}}""");
        for (var i = 0; i < count; i++)
        {
            var result = await playback.HandleWebhookAsync(url, [new(WebhookSignature.Sha256Header, "forged-signature-" + i)], body);
            Assert.Equal(WebhookStatus.Rejected, result.Status);
        }

        return count;
    }

    /// <summary>
    /// No metric tag is outside the bounded set or holds an id; no metric tag, activity tag, activity event or log holds the
    /// API token, the signing key or a signature.
    /// </summary>
    public static void NoSecretsOrIds(TelemetryCapture telemetry, CallingEmulator emulator, IEnumerable<string> callIds, IEnumerable<string> controlIds)
    {
        string[] secrets = [emulator.ApiToken, emulator.SigningKey, "forged-signature"];
        var ids = callIds.Concat(controlIds).ToList();
        Assert.NotEmpty(telemetry.Measurements);
        foreach (var m in telemetry.Measurements)
        {
            Assert.Subset(MetricTagKeys, m.Tags.Keys.ToHashSet());
            foreach (var value in m.Tags.Values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty))
            {
                Assert.DoesNotContain(value, ids);
                Assert.All(ids, id => Assert.DoesNotContain(id, value, StringComparison.Ordinal));
                Assert.All(secrets, s => Assert.DoesNotContain(s, value, StringComparison.Ordinal));
            }
        }

        var traced = telemetry.Activities
            .SelectMany(a => a.TagObjects.Concat(a.Events.SelectMany(e => e.Tags)).Concat(a.Links.SelectMany(l => l.Tags ?? [])))
            .Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
        var logged = telemetry.Logs.SelectMany(l => l.Values.Select(v => Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty).Append(l.Message));
        foreach (var text in traced.Concat(logged))
        {
            Assert.All(secrets, s => Assert.DoesNotContain(s, text, StringComparison.Ordinal));
        }
    }
}
