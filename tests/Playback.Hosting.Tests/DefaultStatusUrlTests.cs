using Microsoft.Extensions.DependencyInjection;

namespace Playback.Hosting.Tests;

/// <summary>Plays default their <c>status_url</c> to the mapped endpoint under <see cref="PlaybackOptions.PublicBaseUrl"/>.</summary>
public sealed class DefaultStatusUrlTests
{
    [Fact]
    public async Task With_a_public_base_url_and_the_endpoint_mapped_a_play_carries_the_endpoint_as_status_url()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await using var app = await PlaybackWebApp.StartAsync(emulator);

        var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);

        Assert.Equal(app.BaseUrl + "/signalwire/events", TestSupport.PlayStatusUrl(emulator, handle.ControlId));
        Assert.Equal(new Uri(app.BaseUrl + "/signalwire/events"), app.Playback.Settings.DefaultStatusUrl);
    }

    [Fact]
    public async Task The_status_url_follows_the_mapped_path_and_a_trailing_slash_in_the_public_base_url_is_not_doubled()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        string? baseUrl = null;
        await using var app = await PlaybackWebApp.StartAsync(emulator, o =>
        {
            baseUrl = o.PublicBaseUrl;
            o.PublicBaseUrl += "/";
        }, mapEndpoint: web => web.MapPlaybackWebhooks("/hooks/signalwire"));

        var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Tts("Hello from the REST API!")]);

        Assert.Equal(baseUrl + "/hooks/signalwire", TestSupport.PlayStatusUrl(emulator, handle.ControlId));
        Assert.Equal(PlaybackState.Finished, (await handle.Completion.WaitAsync(Eventually.Patience)).State);
    }

    [Fact]
    public async Task An_explicit_default_status_url_wins_over_the_endpoint()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await using var app = await PlaybackWebApp.StartAsync(emulator, o => o.DefaultStatusUrl = "https://hooks.example.com/explicit");

        var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);

        Assert.Equal("https://hooks.example.com/explicit", TestSupport.PlayStatusUrl(emulator, handle.ControlId));
    }

    [Fact]
    public async Task A_status_url_given_to_the_play_wins_over_the_default()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        await using var app = await PlaybackWebApp.StartAsync(emulator);

        var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Silence(1)], new PlayOptions { StatusUrl = new Uri("https://hooks.example.com/per-play") });

        Assert.Equal("https://hooks.example.com/per-play", TestSupport.PlayStatusUrl(emulator, handle.ControlId));
    }

    [Fact]
    public async Task Without_the_endpoint_mapped_a_public_base_url_gives_no_status_url()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await TestSupport.StartPlaybackHostAsync(emulator, o => o.PublicBaseUrl = "https://calls.example.com");
        var playback = host.Services.GetRequiredService<PlaybackManager>();

        var handle = await playback.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);

        Assert.Null(TestSupport.PlayStatusUrl(emulator, handle.ControlId));
        Assert.Null(playback.Settings.DefaultStatusUrl);
        Assert.False(handle.IsTracked); // allowed by UseEmulator's AllowUntrackedPlays
        await host.StopAsync();
    }

    [Fact]
    public async Task Without_a_public_base_url_or_a_default_status_url_a_play_is_refused_naming_status_url_and_PublicBaseUrl()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        using var host = await TestSupport.StartPlaybackHostAsync(emulator, o => o.AllowUntrackedPlays = false);
        var playback = host.Services.GetRequiredService<PlaybackManager>();

        var e = await Assert.ThrowsAsync<ArgumentException>(() => playback.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]));

        Assert.Equal("status_url", e.ParamName);
        Assert.Contains("PublicBaseUrl", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(emulator.Journal.Requests, r => r.Command == "calling.play");
        await host.StopAsync();
    }
}
