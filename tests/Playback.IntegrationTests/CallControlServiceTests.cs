using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Playback.Testing;

namespace Playback.IntegrationTests;

/// <summary>The CallControlService sample run as a process on the embedded emulator: it starts with the emulator's signing key and its endpoint checks signatures.</summary>
public sealed class CallControlServiceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_call_control_service_starts_refuses_unsigned_webhooks_and_applies_the_emulators_signed_ones()
    {
        // The sample's public URL must be known before it starts (its status URLs point at it), so the port is picked first.
        var baseUrl = $"http://127.0.0.1:{Loopback.FreePort()}";
        await using var service = SampleProcess.Start("CallControlService", $"--Urls={baseUrl}", $"--Playback:PublicBaseUrl={baseUrl}");
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = Patience };
        await WaitUntilHealthyAsync(service, http);
        var callId = (await (await http.PostAsync("/calls", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("callId").GetString()!;
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
        using var cts = new CancellationTokenSource(Patience);
        string? line;
        do
        {
            line = await reader.ReadLineAsync(cts.Token);
        }
        while (line is not null && !(line.StartsWith("data:", StringComparison.Ordinal) && (line.Contains("\"Finished\"", StringComparison.Ordinal) || line.Contains("\"Failed\"", StringComparison.Ordinal))));

        Assert.NotNull(line);
    }

    private static async Task WaitUntilHealthyAsync(SampleProcess service, HttpClient http)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (true)
        {
            if (service.HasExited)
            {
                Assert.Fail($"the service exited with {service.ExitCode}:\n{await service.OutputAsync()}");
            }

            try
            {
                if ((await http.GetAsync("/health", cts.Token)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, cts.Token);
        }
    }
}
