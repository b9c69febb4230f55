using System.Net;

namespace Playback.IntegrationTests;

/// <summary>The CallControlService sample run as a process on the embedded emulator: it starts with the emulator's signing key and its endpoint checks signatures.</summary>
public sealed class CallControlServiceTests(CallControlServiceFixture service) : IClassFixture<CallControlServiceFixture>
{
    [Fact]
    public async Task The_call_control_service_starts_refuses_unsigned_webhooks_and_applies_the_emulators_signed_ones()
    {
        var http = service.Http;
        var callId = await service.CreateCallAsync();
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"/calls/{callId}/hold-music", null)).StatusCode);

        // The play is counted on the Prometheus endpoint, tagged with the command and its outcome only.
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("playback_commands_total{", metrics, StringComparison.Ordinal);
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("playback_commands_total{", StringComparison.Ordinal) && l.Contains("playback_command=\"play\"", StringComparison.Ordinal) && l.Contains("playback_outcome=\"success\"", StringComparison.Ordinal));
        Assert.DoesNotContain(callId, metrics, StringComparison.Ordinal);

        using var unsigned = new StringContent($"{{\"event_type\":\"calling.call.state\",\"params\":{{\"call_id\":\"{callId}\",\"call_state\":\"ended\"}}}}");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsync("/signalwire/events", unsigned)).StatusCode);

        // Hanging up in the emulator ends the hold music through its signed webhooks only: no command is sent.
        using var events = await http.GetAsync($"/events?callId={callId}", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync());
        Assert.StartsWith(": connected", await reader.ReadLineAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/calls/{callId}")).StatusCode);
        using var cts = new CancellationTokenSource(CallControlServiceFixture.Patience);
        string? line;
        do
        {
            line = await reader.ReadLineAsync(cts.Token);
        }
        while (line is not null && !(line.StartsWith("data:", StringComparison.Ordinal) && (line.Contains("\"Finished\"", StringComparison.Ordinal) || line.Contains("\"Failed\"", StringComparison.Ordinal))));

        Assert.NotNull(line);
    }
}
