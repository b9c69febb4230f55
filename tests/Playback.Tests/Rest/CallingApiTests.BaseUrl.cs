using Flurl.Http;
using Flurl.Http.Testing;

namespace Playback.Tests;

/// <summary>Where requests go: the space, base URL rules, credentials, an injected client, the request timeout.</summary>
public partial class CallingApiTests
{
    [Theory]
    [InlineData("example")]
    [InlineData("example.signalwire.com")]
    [InlineData("Example.SignalWire.com")]
    [InlineData("https://example.signalwire.com/")]
    public async Task A_space_name_or_host_resolves_to_the_https_signalwire_endpoint(string space)
    {
        Assert.Equal(Endpoint, await PauseUrlAsync(Settings with { Space = space }));
    }

    [Fact]
    public async Task A_loopback_http_base_url_overrides_the_space()
    {
        Assert.Equal("http://127.0.0.1:5555/api/calling/calls", await PauseUrlAsync(Settings with { BaseUrl = new Uri("http://127.0.0.1:5555") }));
    }

    [Fact]
    public async Task A_localhost_http_base_url_is_allowed()
    {
        Assert.Equal("http://localhost:8080/api/calling/calls", await PauseUrlAsync(new PlaybackSettings { ProjectId = "proj", ApiToken = Token, BaseUrl = new Uri("http://localhost:8080/") }));
    }

    [Fact]
    public async Task An_https_base_url_on_any_host_is_accepted()
    {
        Assert.Equal("https://api.example.com/api/calling/calls", await PauseUrlAsync(Settings with { BaseUrl = new Uri("https://api.example.com") }));
    }

    [Fact]
    public void A_plain_http_base_url_on_a_remote_host_is_rejected()
    {
        var e = Assert.Throws<PlaybackConfigurationException>(() => NewApi(Settings with { BaseUrl = new Uri("http://evil.example.com") }));

        Assert.Contains(e.Problems, p => p.Contains("BaseUrl", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_credentials_are_rejected_when_the_client_is_created()
    {
        var e = Assert.Throws<PlaybackConfigurationException>(() => NewApi(new PlaybackSettings { Space = "example" }));

        Assert.Contains(e.Problems, p => p.Contains("ProjectId", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("ApiToken", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_injected_client_gets_the_wire_serializer_auth_and_base_url()
    {
        using var http = new HttpTest();
        using var client = new FlurlClient();
        using var api = new CallingApi(Settings, client);

        await api.SetVolumeAsync(CallId, ControlId, -1.5, CancellationToken.None);

        http.ShouldHaveCalled(Endpoint)
            .WithBasicAuth("proj", Token)
            .WithRequestBody("""{"id":"call-7f3a","command":"calling.play.volume","params":{"control_id":"ctl-1","volume":-1.5}}""")
            .Times(1);
    }

    [Fact]
    public async Task The_request_timeout_comes_from_the_settings()
    {
        using var http = new HttpTest();
        using var api = NewApi(Settings with { RequestTimeout = TimeSpan.FromSeconds(3) });

        await PauseAsync(api);

        Assert.Equal(TimeSpan.FromSeconds(3), Assert.Single(http.CallLog).Request.Settings.Timeout);
    }
}
