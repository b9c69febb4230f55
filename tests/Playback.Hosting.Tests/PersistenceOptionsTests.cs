using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using Microsoft.Extensions.Options;
using Playback.PersistenceTests;

namespace Playback.Hosting.Tests;

/// <summary><c>Playback:Persistence</c>: bound into <see cref="PlaybackSettings.Persistence"/>, named in errors, and awaited at host start.</summary>
public sealed class PersistenceOptionsTests : IAsyncLifetime
{
    /// <summary>Start must end (in success or failure), never hang: this bounds the wait, it measures nothing.</summary>
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(60);

    private readonly SqliteStore _store = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public void The_Persistence_section_is_bound_into_the_settings()
    {
        var options = Bind(new()
        {
            ["Persistence:Provider"] = "SQLite", ["Persistence:ConnectionString"] = _store.ConnectionString,
            ["Persistence:SnapshotEvery"] = "10", ["Persistence:AutoInitialize"] = "false", ["Persistence:RecoveryParallelism"] = "4",
        });

        var persistence = options.ToSettings().Persistence;

        Assert.NotNull(persistence);
        Assert.Equal(
            (PlaybackPersistenceProvider.Sqlite, _store.ConnectionString, 10, false, 4),
            (persistence.Provider, persistence.ConnectionString, persistence.SnapshotEvery, persistence.AutoInitialize, persistence.RecoveryParallelism));
    }

    [Theory]
    [InlineData("postgresql", PlaybackPersistenceProvider.PostgreSql)]
    [InlineData("PostgreSQL", PlaybackPersistenceProvider.PostgreSql)]
    [InlineData("sqlite", PlaybackPersistenceProvider.Sqlite)]
    public void The_provider_name_is_read_case_insensitively_and_unset_values_keep_their_defaults(string provider, PlaybackPersistenceProvider expected)
    {
        var options = Bind(new() { ["Persistence:Provider"] = provider, ["Persistence:ConnectionString"] = "Host=db;Database=playback;Username=u;Password=pw" });

        var persistence = options.ToSettings().Persistence!;

        Assert.Equal(expected, persistence.Provider);
        var defaults = PlaybackPersistenceSettings.Sqlite("Data Source=x");
        Assert.Equal((defaults.SnapshotEvery, defaults.AutoInitialize, defaults.RecoveryParallelism), (persistence.SnapshotEvery, persistence.AutoInitialize, persistence.RecoveryParallelism));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("off", "Data Source=playback.db")]
    [InlineData("OFF", null)]
    public void Without_a_provider_or_with_off_persistence_is_off(string? provider, string? connectionString)
    {
        var options = Bind(new() { ["Persistence:Provider"] = provider, ["Persistence:ConnectionString"] = connectionString });

        Assert.Null(options.ToSettings().Persistence);
    }

    [Fact]
    public void The_options_description_hides_the_connection_strings_password()
    {
        var options = new PlaybackOptions { Persistence = new() { Provider = "postgresql", ConnectionString = "Host=db;Username=u;Password=hunter2-secret" } };

        var text = options.ToString();

        Assert.Contains("Provider = postgresql", text);
        Assert.DoesNotContain("hunter2-secret", text);
    }

    public static TheoryData<Dictionary<string, string?>, string> BadPersistence => new()
    {
        { new() { ["Persistence:Provider"] = "mysql", ["Persistence:ConnectionString"] = "Server=db" }, "Playback:Persistence:Provider must be sqlite or postgresql, was 'mysql'" },
        { new() { ["Persistence:Provider"] = "sqlite" }, "Playback:Persistence:ConnectionString is missing" },
        { new() { ["Persistence:ConnectionString"] = "Data Source=x.db" }, "Playback:Persistence:Provider is missing" },
        { new() { ["Persistence:Provider"] = "sqlite", ["Persistence:ConnectionString"] = "Data Source=x.db", ["Persistence:SnapshotEvery"] = "0" }, "Playback:Persistence:SnapshotEvery must be at least 1" },
        { new() { ["Persistence:Provider"] = "sqlite", ["Persistence:ConnectionString"] = "Data Source=x.db", ["Persistence:RecoveryParallelism"] = "0" }, "Playback:Persistence:RecoveryParallelism must be at least 1" },
    };

    [Theory]
    [MemberData(nameof(BadPersistence))]
    public async Task A_bad_persistence_value_stops_the_host_naming_its_key(Dictionary<string, string?> values, string problem)
    {
        var section = TestSupport.PlaybackSection(Credentials.Concat(values));

        var error = await TestSupport.StartupValidationErrorAsync(s => s.AddPlayback(section));

        Assert.Contains(error.Failures, f => f.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_corrupt_SQLite_file_fails_the_hosts_start_with_a_PlaybackStoreException()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await File.WriteAllBytesAsync(_store.File, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray());
        using var host = TestSupport.BuildHost(s => s.AddPlayback(o =>
        {
            o.UseEmulator(emulator);
            o.Persistence = new() { Provider = "sqlite", ConnectionString = _store.ConnectionString };
        }));

        var error = await Assert.ThrowsAsync<PlaybackStoreException>(() => host.StartAsync().WaitAsync(NoHang));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.False(host.Services.GetRequiredService<PlaybackManager>().Recovery.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_corrupt_SQLite_file_fails_the_start_on_Akka_Hosting_too()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await File.WriteAllBytesAsync(_store.File, Enumerable.Repeat((byte)0x5A, 8192).ToArray());
        using var host = TestSupport.BuildHost(s =>
        {
            s.AddPlaybackOnAkka(emulator);
            s.PostConfigure<PlaybackOptions>(o => o.Persistence = new() { Provider = "sqlite", ConnectionString = _store.ConnectionString });
        });

        await Assert.ThrowsAsync<PlaybackStoreException>(() => host.StartAsync().WaitAsync(NoHang));
    }

    [Fact]
    public async Task A_host_on_a_SQLite_file_is_started_with_its_live_playbacks_back_and_commands_and_webhooks_work_for_them()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        void UseStore(PlaybackOptions o) => o.Persistence = new() { Provider = "sqlite", ConnectionString = _store.ConnectionString };
        PlaybackHandle played;
        string call;
        await using (var first = await PlaybackWebApp.StartAsync(emulator, UseStore))
        {
            call = emulator.CreateCall(first.WebhookUrl);
            played = await first.Playback.PlayAsync(call, [Media.Ringtone("us", seconds: 600)]);
            await played.PauseAsync();
        }

        await using var second = await PlaybackWebApp.StartAsync(emulator, UseStore);

        // The start awaited recovery: the call is back before anything asks for it.
        var manager = second.Playback;
        Assert.True(manager.Recovery.IsCompletedSuccessfully);
        Assert.Equal(1, manager.RecoveredCalls);
        var recovered = Assert.Single(manager.Snapshot(call));
        Assert.Equal((played.ControlId, PlaybackState.Paused), (recovered.ControlId, recovered.State));

        var found = await manager.FindAsync(call, played.ControlId);
        Assert.NotNull(found);
        Assert.Equal(PlaybackState.Playing, (await found.ResumeAsync()).State);
        Assert.Contains(emulator.Journal.Requests, r => r.Command == "calling.play.resume" && r.ControlId == played.ControlId && r.Status == 200);

        // A signed webhook for the recovered playback, sent to the restarted service's endpoint, ends it.
        var finished = manager.EventsFor(call).FirstAsync(e => e.State == PlaybackState.Finished).ToTask();
        using var response = await second.Http.SendAsync(TestSupport.Webhook(
            PlaybackWebApp.WebhookPath, TestSupport.PlayWebhook(call, played.ControlId, "finished"), emulator.SigningKey, second.WebhookUrl));
        Assert.True(response.IsSuccessStatusCode, $"webhook answered {(int)response.StatusCode}");
        Assert.Equal(played.ControlId, (await finished.WaitAsync(NoHang)).ControlId);
        Assert.Null(await manager.FindAsync(call, played.ControlId));
    }

    [Fact]
    public async Task WithPlayback_settings_configures_the_store_through_Akka_Persistence_Sql_Hosting_beside_the_apps_own_sql_journal()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await using var appStore = new SqliteStore();
        var settings = TestSupport.EmulatorSettings(emulator) with { Persistence = _store.Settings };
        var appConnection = new LinqToDB.DataOptions().UseConnectionString(LinqToDB.ProviderName.SQLiteMS, appStore.ConnectionString);

        // The app's own default journal, given its connection as DataOptions (a MultiDataOptionsSetup keyed by plugin id).
        using var host = await TestSupport.StartHostAsync(s => s.AddAkka("calls", b => b
            .WithSqlPersistence(appConnection, databaseMapping: DatabaseMapping.Sqlite)
            .WithPlayback(settings)));

        var system = host.Services.GetRequiredService<Akka.Actor.ActorSystem>();
        var config = system.Settings.Config;
        Assert.Equal(PlaybackStore.JournalId, config.GetString(PlaybackStore.JournalId + ".plugin-id"));
        Assert.Equal(PlaybackStore.SnapshotStoreId, config.GetString(PlaybackStore.SnapshotStoreId + ".plugin-id"));
        Assert.Equal(PlaybackStore.SerializerName, config.GetString(PlaybackStore.JournalId + ".serializer"));
        Assert.Equal("sqlite", config.GetString(PlaybackStore.JournalId + ".table-mapping"));
        Assert.Equal(1, config.GetInt(PlaybackStore.JournalId + ".parallelism")); // Playback's tuning wins over the plugin's defaults (3)
        Assert.Equal(PlaybackStore.WriteQueue, config.GetInt(PlaybackStore.JournalId + ".buffer-size"));
        Assert.Equal("akka.persistence.journal.sql", config.GetString("akka.persistence.journal.plugin")); // the app's default stays the app's

        // One shared setup: the app's journal keeps its connection, Playback's plugins get theirs (SQLite: synchronous = NORMAL).
        var setup = system.Settings.Setup.Get<Akka.Persistence.Sql.Config.MultiDataOptionsSetup>().Value;
        Assert.True(setup.TryGetDataOptionsFor("akka.persistence.journal.sql", out var app));
        Assert.Same(appConnection, app);
        Assert.True(setup.TryGetDataOptionsFor(PlaybackStore.JournalId, out var playback));
        Assert.NotNull(playback);
        Assert.Contains(_store.File, playback.ConnectionOptions.ConnectionString ?? string.Empty, StringComparison.Ordinal);
        Assert.True(setup.TryGetDataOptionsFor(PlaybackStore.SnapshotStoreId, out _));

        // A play is written ahead into Playback's file, by Playback's serializer.
        var manager = system.GetPlayback()!;
        await manager.Recovery;
        await manager.PlayAsync(emulator.CreateCall(), [Media.Silence(60)]);
        Assert.True(await _store.ScalarAsync("SELECT COUNT(*) FROM event_journal") > 0);
        Assert.Equal(0, await _store.ScalarAsync($"SELECT COUNT(*) FROM event_journal WHERE serializer_id <> {CallStoreSerializer.Id}"));
        if (await appStore.ScalarAsync("SELECT COUNT(*) FROM sqlite_master WHERE name = 'event_journal'") > 0)
        {
            Assert.Equal(0, await appStore.ScalarAsync("SELECT COUNT(*) FROM event_journal"));
        }

        await host.StopAsync();
    }

    [Fact]
    public async Task WithPlayback_service_provider_configures_the_options_store_before_the_system_exists_and_DI_gets_that_manager()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var section = TestSupport.PlaybackSection(new Dictionary<string, string?>
        {
            ["UseEnvironmentFallback"] = "false", ["ProjectId"] = emulator.ProjectId, ["ApiToken"] = emulator.ApiToken,
            ["BaseUrl"] = emulator.BaseUrl.AbsoluteUri, ["AllowUntrackedPlays"] = "true",
            ["Persistence:Provider"] = "sqlite", ["Persistence:ConnectionString"] = _store.Settings.ConnectionString,
        });

        using var host = await TestSupport.StartHostAsync(s => s.AddPlayback(section).AddAkka("calls", (b, sp) => b.WithPlayback(sp)));

        var system = host.Services.GetRequiredService<Akka.Actor.ActorSystem>();
        var manager = host.Services.GetRequiredService<PlaybackManager>();
        Assert.Same(system.GetPlayback(), manager);
        Assert.Equal(PlaybackStore.JournalId, system.Settings.Config.GetString(PlaybackStore.JournalId + ".plugin-id"));
        Assert.Equal(1, system.Settings.Config.GetInt(PlaybackStore.JournalId + ".parallelism"));

        // The SQLite connection options (synchronous = NORMAL) are a setup: they exist only if given before the system was created.
        var setup = system.Settings.Setup.Get<Akka.Persistence.Sql.Config.MultiDataOptionsSetup>();
        Assert.True(setup.HasValue);
        Assert.True(setup.Value.TryGetDataOptionsFor(PlaybackStore.JournalId, out var playback));
        Assert.Contains(_store.File, playback!.ConnectionOptions.ConnectionString ?? string.Empty, StringComparison.Ordinal);

        await manager.Recovery;
        await manager.PlayAsync(emulator.CreateCall(), [Media.Silence(60)]);
        Assert.True(await _store.ScalarAsync("SELECT COUNT(*) FROM event_journal") > 0);
        await host.StopAsync();
    }

    [Fact]
    public void WithPlayback_service_provider_without_AddPlayback_says_what_is_missing()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "calls");
        var error = Assert.Throws<InvalidOperationException>(() => builder.WithPlayback(services));
        Assert.Contains("services.AddPlayback(", error.Message, StringComparison.Ordinal);
    }

    private static readonly Dictionary<string, string?> Credentials = new()
    {
        ["UseEnvironmentFallback"] = "false", ["ProjectId"] = "p", ["ApiToken"] = "t", ["BaseUrl"] = "https://calls.example.com",
    };

    /// <summary>The options <c>AddPlayback(section)</c> binds (and validates) from the <c>Playback</c> section holding <paramref name="values"/> and credentials.</summary>
    private static PlaybackOptions Bind(Dictionary<string, string?> values)
    {
        var section = TestSupport.PlaybackSection(Credentials.Concat(values));
        using var services = new ServiceCollection().AddLogging().AddPlayback(section).BuildServiceProvider();
        return services.GetRequiredService<IOptions<PlaybackOptions>>().Value;
    }
}
