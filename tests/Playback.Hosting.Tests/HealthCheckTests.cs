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
        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await StartHostAsync(emulator);
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var beforeAnyRequest = await health.CheckHealthAsync();
        await host.Services.GetRequiredService<PlaybackManager>().PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);
        var afterAPlay = await health.CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, beforeAnyRequest.Entries[PlaybackHealthCheck.Name].Status);
        Assert.Equal(HealthStatus.Healthy, afterAPlay.Entries[PlaybackHealthCheck.Name].Status);
        Assert.Equal(1L, afterAPlay.Entries[PlaybackHealthCheck.Name].Data["requests_sent"]);
        Assert.Contains(PlaybackHealthCheck.Name, afterAPlay.Entries[PlaybackHealthCheck.Name].Tags);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_playback_check_is_degraded_after_three_transient_failures_in_a_row_and_healthy_again_after_an_answer()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await StartHostAsync(emulator);
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var playback = host.Services.GetRequiredService<PlaybackManager>();
        // Volume changes: one request each (a play answered 503 is followed by the stop that settles it, a second request).
        var handle = await playback.PlayAsync(emulator.CreateCall(), [Media.Ringtone("us")]);
        emulator.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Status = 503 }] });
        var statuses = new List<HealthStatus>();

        for (var i = 0; i < PlaybackHealthCheck.DegradedAfterTransientFailures; i++)
        {
            var error = await Assert.ThrowsAsync<CallingApiException>(() => handle.SetVolumeAsync(i));
            Assert.True(error.IsTransient);
            statuses.Add((await health.CheckHealthAsync()).Entries[PlaybackHealthCheck.Name].Status);
        }

        Assert.Equal([HealthStatus.Healthy, HealthStatus.Healthy, HealthStatus.Degraded], statuses);
        var degraded = (await health.CheckHealthAsync()).Entries[PlaybackHealthCheck.Name];
        Assert.Equal(3L, degraded.Data["consecutive_transient_failures"]);
        Assert.Contains("503", degraded.Description, StringComparison.Ordinal);

        emulator.Faults.Clear();
        await handle.SetVolumeAsync(5);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries[PlaybackHealthCheck.Name].Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_playback_check_is_degraded_when_nothing_listens_at_the_api_address()
    {
        int closedPort;
        await using (var gone = await TestSupport.StartEmulatorAsync())
        {
            closedPort = gone.BaseUrl.Port;
        }

        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await StartHostAsync(emulator, o => o.BaseUrl = $"http://127.0.0.1:{closedPort}");
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var playback = host.Services.GetRequiredService<PlaybackManager>();

        for (var i = 0; i < PlaybackHealthCheck.DegradedAfterTransientFailures; i++)
        {
            await Assert.ThrowsAsync<CallingApiException>(() => playback.PlayAsync("call-" + i, [Media.Silence(1)]));
        }

        Assert.Equal(HealthStatus.Degraded, (await health.CheckHealthAsync()).Entries[PlaybackHealthCheck.Name].Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_playback_check_is_unhealthy_after_the_manager_is_disposed()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await StartHostAsync(emulator);
        var health = host.Services.GetRequiredService<HealthCheckService>();

        await host.Services.GetRequiredService<PlaybackManager>().DisposeAsync();

        var report = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[PlaybackHealthCheck.Name].Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_playback_check_is_unhealthy_after_the_host_stopped()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await StartHostAsync(emulator);
        var health = host.Services.GetRequiredService<HealthCheckService>();

        await host.StopAsync();

        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Entries[PlaybackHealthCheck.Name].Status);
    }

    private static async Task<IHost> StartHostAsync(CallingEmulator emulator, Action<PlaybackOptions>? configure = null)
    {
        var builder = TestSupport.HostBuilder();
        builder.Services.AddPlayback(o =>
        {
            o.UseEmulator(emulator);
            configure?.Invoke(o);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
