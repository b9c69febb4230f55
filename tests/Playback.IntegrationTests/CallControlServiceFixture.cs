using System.Net.Http.Json;
using System.Text.Json;
using Playback.Testing;

namespace Playback.IntegrationTests;

/// <summary>The CallControlService sample run as a process on the embedded emulator, healthy, with a client for it.</summary>
public sealed class CallControlServiceFixture : IAsyncLifetime
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private SampleProcess? _service;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The sample's public URL must be known before it starts (its status URLs point at it) and a child process cannot be
        // handed a bound socket: the port is picked first, and another one when the sample could not bind it (taken since).
        (_service, Http) = await Loopback.RetryOnPortConflictAsync(StartHealthyAsync);
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

    /// <summary>A new answered call in the sample's emulator.</summary>
    public async Task<string> CreateCallAsync()
    {
        using var response = await Http.PostAsync("/calls", null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("callId").GetString()!;
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_service is not null)
        {
            await _service.DisposeAsync();
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

            await Task.Delay(100, cts.Token); // polling a starting process, bounded by the deadline above
        }
    }
}
