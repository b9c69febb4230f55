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
        // The sample's public URL must be known before it starts (its status URLs point at it) and a child process cannot be
        // handed a bound socket: the port is picked first, and another one when the sample could not bind it (taken since).
        var (service, http) = await Loopback.RetryOnPortConflictAsync(StartHealthyAsync);
        await using var running = service;
        using var client = http;
        var callId = (await (await http.PostAsync("/calls", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("callId").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"/calls/{callId}/hold-music", null)).StatusCode);

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

    private static async Task<(SampleProcess Service, HttpClient Http)> StartHealthyAsync(int port)
    {
        var baseUrl = $"http://127.0.0.1:{port}";
        var service = SampleProcess.Start("CallControlService", $"--Urls={baseUrl}", $"--Playback:PublicBaseUrl={baseUrl}");
        var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = Patience };
        try
        {
            await WaitUntilHealthyAsync(service, http);
            return (service, http);
        }
        catch
        {
            http.Dispose();
            await service.DisposeAsync();
            throw;
        }
    }

    private static async Task WaitUntilHealthyAsync(SampleProcess service, HttpClient http)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (true)
        {
            if (service.HasExited)
            {
                var output = await service.OutputAsync();
                if (Loopback.IsAddressInUse(output))
                {
                    throw new IOException("address already in use: " + output);
                }

                Assert.Fail($"the service exited with {service.ExitCode}:\n{output}");
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
