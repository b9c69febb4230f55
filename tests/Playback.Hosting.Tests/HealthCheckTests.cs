using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Playback.Emulator;

namespace Playback.Hosting.Tests;

/// <summary>The <c>playback</c> health check.</summary>
public sealed class HealthCheckTests
{
    [Fact]
    public async Task The_playback_check_is_healthy_while_running_and_the_api_answers()
    {
        await using var f = await HealthFixture.StartAsync();

        var beforeAnyRequest = await f.EntryAsync();
        await f.Playback.PlayAsync(f.Emulator.CreateCall(), [Media.Silence(1)]);
        var afterAPlay = await f.EntryAsync();

        Assert.Equal(HealthStatus.Healthy, beforeAnyRequest.Status);
        Assert.Equal(HealthStatus.Healthy, afterAPlay.Status);
        Assert.Equal(1L, afterAPlay.Data["requests_sent"]);
        Assert.Contains(PlaybackHealthCheck.Name, afterAPlay.Tags);
        await f.Host.StopAsync();
    }

    [Fact]
    public async Task The_playback_check_is_degraded_after_three_transient_failures_in_a_row_and_healthy_again_after_an_answer()
    {
        await using var f = await HealthFixture.StartAsync();
        // Volume changes: one request each (a play answered 503 is followed by the stop that settles it, a second request).
        var handle = await f.Playback.PlayAsync(f.Emulator.CreateCall(), [Media.Ringtone("us")]);
        f.Emulator.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Status = 503 }] });
        var statuses = new List<HealthStatus>();

        for (var i = 0; i < PlaybackHealthCheck.DegradedAfterTransientFailures; i++)
        {
            var error = await Assert.ThrowsAsync<CallingApiException>(() => handle.SetVolumeAsync(i));
            Assert.True(error.IsTransient);
            statuses.Add((await f.EntryAsync()).Status);
        }

        Assert.Equal([HealthStatus.Healthy, HealthStatus.Healthy, HealthStatus.Degraded], statuses);
        var degraded = await f.EntryAsync();
        Assert.Equal(3L, degraded.Data["consecutive_transient_failures"]);
        Assert.Contains("503", degraded.Description, StringComparison.Ordinal);

        f.Emulator.Faults.Clear();
        await handle.SetVolumeAsync(5);
        Assert.Equal(HealthStatus.Healthy, (await f.EntryAsync()).Status);
        await f.Host.StopAsync();
    }

    [Fact]
    public async Task The_playback_check_is_degraded_when_nothing_listens_at_the_api_address()
    {
        int closedPort;
        await using (var gone = await TestSupport.StartEmulatorAsync())
        {
            closedPort = gone.BaseUrl.Port;
        }

        await using var f = await HealthFixture.StartAsync(o => o.BaseUrl = $"http://127.0.0.1:{closedPort}");

        for (var i = 0; i < PlaybackHealthCheck.DegradedAfterTransientFailures; i++)
        {
            await Assert.ThrowsAsync<CallingApiException>(() => f.Playback.PlayAsync("call-" + i, [Media.Silence(1)]));
        }

        Assert.Equal(HealthStatus.Degraded, (await f.EntryAsync()).Status);
        await f.Host.StopAsync();
    }

    [Fact]
    public async Task The_playback_check_is_unhealthy_after_the_manager_is_disposed()
    {
        await using var f = await HealthFixture.StartAsync();

        await f.Playback.DisposeAsync();

        var report = await f.Health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[PlaybackHealthCheck.Name].Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        await f.Host.StopAsync();
    }

    [Fact]
    public async Task The_playback_check_is_unhealthy_after_the_host_stopped()
    {
        await using var f = await HealthFixture.StartAsync();

        await f.Host.StopAsync();

        Assert.Equal(HealthStatus.Unhealthy, (await f.EntryAsync()).Status);
    }

    /// <summary>An emulator and a started host with <c>AddPlayback</c> on it, its health check service and manager.</summary>
    private sealed class HealthFixture(CallingEmulator emulator, IHost host) : IAsyncDisposable
    {
        public CallingEmulator Emulator => emulator;

        public IHost Host => host;

        public HealthCheckService Health => host.Services.GetRequiredService<HealthCheckService>();

        public PlaybackManager Playback => host.Services.GetRequiredService<PlaybackManager>();

        public static async Task<HealthFixture> StartAsync(Action<PlaybackOptions>? configure = null)
        {
            var emulator = await TestSupport.StartEmulatorAsync();
            return new HealthFixture(emulator, await TestSupport.StartPlaybackHostAsync(emulator, configure));
        }

        /// <summary>The <c>playback</c> entry of a health report taken now.</summary>
        public async Task<HealthReportEntry> EntryAsync() => (await Health.CheckHealthAsync()).Entries[PlaybackHealthCheck.Name];

        public async ValueTask DisposeAsync()
        {
            host.Dispose();
            await emulator.DisposeAsync();
        }
    }
}
