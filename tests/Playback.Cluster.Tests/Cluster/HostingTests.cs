using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Playback.Emulator;
using Playback.Hosting;
using Xunit.Abstractions;
using Playback.Testing;

namespace Playback.Cluster.Tests;

/// <summary>Two generic hosts with Akka.Hosting and <c>WithPlaybackCluster</c>, joined over loopback, against one emulator.</summary>
public sealed class HostingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_hosts_with_WithPlaybackCluster_form_a_cluster_where_a_play_started_on_one_is_paused_from_the_other()
    {
        await using var emulator = await CallingEmulator.StartAsync(new EmulatorOptions { Speed = 10 });
        var settings = new PlaybackSettings
        {
            BaseUrl = emulator.BaseUrl,
            ProjectId = emulator.ProjectId,
            ApiToken = emulator.ApiToken,
            AskTimeout = TimeSpan.FromSeconds(20),
            AllowUntrackedPlays = true,
        };
        var hosts = new List<IHost>();
        try
        {
            // Host 1 is the seed: its port is in its configuration before it starts and Akka binds it itself (no bound socket
            // can be handed over), so a port is picked, and another one when it was taken in between. Host 2 binds port 0.
            var seedPort = 0;
            hosts.Add(await Loopback.RetryOnPortConflictAsync(async port =>
            {
                var host = BuildHost(settings, port, $"akka.tcp://calls@127.0.0.1:{port}");
                try
                {
                    await host.StartAsync();
                    seedPort = port;
                    return host;
                }
                catch
                {
                    host.Dispose();
                    throw;
                }
            }));
            hosts.Add(BuildHost(settings, 0, $"akka.tcp://calls@127.0.0.1:{seedPort}"));
            await hosts[1].StartAsync();
            var systems = hosts.Select(h => h.Services.GetRequiredService<ActorSystem>()).ToArray();
            await Outcomes.Eventually(
                () => systems.All(s => Akka.Cluster.Cluster.Get(s).State.Members.Count(m => m.Status == MemberStatus.Up) == 2),
                "both hosts see 2 members up",
                seconds: 10);

            var managers = new PlaybackManager[hosts.Count];
            for (var i = 0; i < hosts.Count; i++)
            {
                var services = hosts[i].Services;
                managers[i] = services.GetRequiredService<PlaybackManager>();
                Assert.NotNull(systems[i].GetPlayback());
                Assert.Same(systems[i].GetPlayback(), managers[i]);
                var registry = services.GetRequiredService<ActorRegistry>();
                Assert.True(registry.TryGet<PlaybackCallRegion>(out var region), "PlaybackCallRegion is in the ActorRegistry");
                Assert.False(region.IsNobody());
                Assert.True(registry.TryGet<PlaybackCallRegistry>(out var callRegistry), "PlaybackCallRegistry is in the ActorRegistry");
                Assert.Same(managers[i].CallRegistryActor, callRegistry);
            }

            Assert.NotSame(managers[0], managers[1]);
            await ClusterTestSupport.WaitUntilEventsReachEveryNodeAsync(systems.Zip(managers).ToList());

            var call = emulator.CreateCall();
            var handle = await managers[1].PlayAsync(call, Outcomes.Long());
            Assert.Equal(PlaybackState.Playing, handle.Current);

            var paused = await managers[0].PauseAsync(call, handle.ControlId);
            Assert.Equal(PlaybackState.Paused, paused.State);
            await Outcomes.Eventually(
                () => managers[0].Snapshot(call).Any(s => s.ControlId == handle.ControlId && s.State == PlaybackState.Paused),
                "host 1's snapshot shows the play paused",
                seconds: 5);
            await Outcomes.Eventually(
                () => managers[1].Snapshot(call).Any(s => s.ControlId == handle.ControlId && s.State == PlaybackState.Paused),
                "host 2's snapshot shows the play paused",
                seconds: 5);
            output.WriteLine($"call {call}: {string.Join(", ", managers[0].Snapshot(call).Select(s => $"{s.ControlId}={s.State}"))}");

            await managers[1].StopAsync(call, handle.ControlId);
        }
        finally
        {
            // Host 2 first: host 1 is the seed and the oldest member (coordinator), so host 2 leaves to it cleanly.
            foreach (var host in Enumerable.Reverse(hosts))
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await host.StopAsync(timeout.Token);
                }
                finally
                {
                    host.Dispose();
                }
            }
        }
    }

    [Fact]
    public void Cluster_options_with_no_shards_are_rejected_naming_number_of_shards()
    {
        var options = new PlaybackClusterOptions { NumberOfShards = 0 };

        var error = Assert.Throws<PlaybackConfigurationException>(() => options.ToSettings());

        Assert.Contains("number-of-shards", error.Message);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData(WebhookSignaturePolicy.Off, true)]
    public async Task With_a_mapped_webhook_endpoint_WithPlaybackCluster_settings_need_a_signing_key_or_an_explicit_Off(WebhookSignaturePolicy? policy, bool starts)
    {
        var settings = new PlaybackSettings { BaseUrl = new Uri("http://127.0.0.1:9"), ProjectId = "project", ApiToken = "token", SignaturePolicy = policy };
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPlayback();
        builder.Services.AddAkka("calls", (akka, _) => akka
            .AddHocon(ClusterTestSupport.Tuning, HoconAddMode.Prepend)
            .WithPlaybackCluster(settings, new PlaybackClusterOptions { Hostname = "127.0.0.1", Port = 0 }));
        await using var app = builder.Build();
        app.MapPlaybackWebhooks();

        if (starts)
        {
            await app.StartAsync();
            Assert.Same(settings, app.Services.GetRequiredService<PlaybackManager>().Settings);
            await app.StopAsync();
        }
        else
        {
            var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
            Assert.Contains("Playback:SigningKey", error.Message, StringComparison.Ordinal);
            Assert.Contains("Playback:SignaturePolicy", error.Message, StringComparison.Ordinal);
        }
    }

    private static IHost BuildHost(PlaybackSettings settings, int port, string seed) =>
        new HostBuilder()
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureServices(services =>
            {
                services.AddPlayback();
                services.AddAkka("calls", (akka, _) => akka
                    .AddHocon(ClusterTestSupport.Tuning, HoconAddMode.Prepend)
                    .WithPlaybackCluster(settings, new PlaybackClusterOptions
                    {
                        Hostname = "127.0.0.1",
                        Port = port,
                        SeedNodes = [seed],
                    }));
            })
            .Build();
}
