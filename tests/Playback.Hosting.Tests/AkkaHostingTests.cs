using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Playback.Emulator;

namespace Playback.Hosting.Tests;

/// <summary><c>WithPlayback</c> on Akka.Hosting's builder: the host's ActorSystem, the ActorRegistry and the logger bridge.</summary>
public sealed class AkkaHostingTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_AddAkka_and_AddPlayback_the_manager_from_DI_runs_on_the_hosts_ActorSystem(bool akkaRegisteredFirst)
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var logs = new CapturingLoggerProvider();
        using var host = await TestSupport.StartHostAsync(
            s =>
            {
                if (akkaRegisteredFirst)
                {
                    s.AddAkka("calls", b => b.WithPlayback());
                    s.AddPlayback(o => o.UseEmulator(emulator));
                }
                else
                {
                    s.AddPlaybackOnAkka(emulator);
                }
            },
            logs);

        var system = host.Services.GetRequiredService<ActorSystem>();
        var manager = host.Services.GetRequiredService<PlaybackManager>();
        Assert.Equal("calls", system.Name);
        Assert.Same(manager, system.GetPlayback());
        Assert.Equal("calls", manager.CallRegistryActor.Path.Address.System);
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        Assert.Equal(manager.CallRegistryActor, registry.Get<PlaybackCallRegistry>());
        Assert.Equal(manager.CallRegistryActor, await host.Services.GetRequiredService<IRequiredActor<PlaybackCallRegistry>>().GetAsync());

        var handle = await manager.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);
        Assert.Equal(PlaybackState.Playing, handle.Current);

        await host.StopAsync();
        Assert.False(manager.IsRunning);
        Assert.DoesNotContain(logs.Entries, l => l.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task Akka_and_playback_logs_of_the_hosts_ActorSystem_go_to_ILogger()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var logs = new CapturingLoggerProvider();
        using var host = await TestSupport.StartHostAsync(s => s.AddPlaybackOnAkka(emulator), logs);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var manager = host.Services.GetRequiredService<PlaybackManager>();

        system.Log.Warning("marker from the host's ActorSystem");
        using var throwing = manager.Events.Subscribe(_ => throw new InvalidOperationException("subscriber failure marker"));
        await manager.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);

        await Eventually.AssertAsync(() =>
        {
            Assert.Contains(logs.Entries, l => l.Level == LogLevel.Warning && l.Message.Contains("marker from the host's ActorSystem", StringComparison.Ordinal));
            Assert.Contains(logs.Entries, l => l.Level == LogLevel.Warning && l.Message.Contains("subscriber failure marker", StringComparison.Ordinal));
        });
        await host.StopAsync();
    }

    [Fact]
    public async Task Without_Akka_Hosting_playbacks_own_ActorSystem_logs_go_to_ILogger_too()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var logs = new CapturingLoggerProvider();
        using var host = await TestSupport.StartPlaybackHostAsync(emulator, logs: logs);
        var manager = host.Services.GetRequiredService<PlaybackManager>();

        using var throwing = manager.Events.Subscribe(_ => throw new InvalidOperationException("subscriber failure marker"));
        await manager.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);

        await Eventually.AssertAsync(() =>
            Assert.Contains(logs.Entries, l => l.Level == LogLevel.Warning && l.Message.Contains("subscriber failure marker", StringComparison.Ordinal)));
        Assert.Contains(logs.Entries, l => l.Message.Contains("Playback starts on its own ActorSystem", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task WithPlayback_settings_alone_starts_a_manager_on_the_hosts_ActorSystem_and_registers_its_registry_actor()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var settings = TestSupport.EmulatorSettings(emulator);
        using var host = await TestSupport.StartHostAsync(s => s.AddAkka("calls", b => b.WithPlayback(settings)));

        var manager = host.Services.GetRequiredService<ActorSystem>().GetPlayback();

        Assert.NotNull(manager);
        Assert.Same(settings, manager.Settings);
        Assert.Equal(manager.CallRegistryActor, host.Services.GetRequiredService<ActorRegistry>().Get<PlaybackCallRegistry>());
        var handle = await manager.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);
        Assert.Equal(PlaybackState.Playing, handle.Current);
        await host.StopAsync();
    }

    [Fact]
    public async Task WithPlayback_configure_builds_the_settings_from_options_set_in_code()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await TestSupport.StartHostAsync(s => s.AddAkka("calls", b => b.WithPlayback(o =>
        {
            o.UseEmulator(emulator);
            o.RequestTimeout = TimeSpan.FromSeconds(4);
        })));

        var manager = host.Services.GetRequiredService<ActorSystem>().GetPlayback();

        Assert.NotNull(manager);
        Assert.Equal(emulator.ProjectId, manager.Settings.ProjectId);
        Assert.Equal(TimeSpan.FromSeconds(4), manager.Settings.RequestTimeout);
        Assert.Equal(manager.CallRegistryActor, await host.Services.GetRequiredService<IRequiredActor<PlaybackCallRegistry>>().GetAsync());
        await host.StopAsync();
    }

    [Fact]
    public async Task WithPlayback_without_AddPlayback_fails_the_host_start_with_a_clear_message()
    {
        using var host = TestSupport.BuildHost(s => s.AddAkka("calls", b => b.WithPlayback()));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("AddPlayback", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WithPlayback_settings_and_AddPlayback_share_one_manager_resolvable_from_DI(bool addPlaybackWithOptions)
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var settings = TestSupport.EmulatorSettings(emulator);
        using var host = await TestSupport.StartHostAsync(s =>
        {
            s.AddAkka("calls", b => b.WithPlayback(settings));
            if (addPlaybackWithOptions)
            {
                s.AddPlayback(o => o.UseEmulator(emulator));
            }
            else
            {
                s.AddPlayback();
            }
        });

        var fromDi = host.Services.GetRequiredService<PlaybackManager>();

        Assert.Same(host.Services.GetRequiredService<ActorSystem>().GetPlayback(), fromDi);
        Assert.Same(settings, fromDi.Settings);
        var health = await host.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync();
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, health.Entries[PlaybackHealthCheck.Name].Status);
        await host.StopAsync();
    }
}
