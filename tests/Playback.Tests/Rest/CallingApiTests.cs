using Microsoft.AspNetCore.Builder;
using System.Net.Http.Headers;
using Flurl.Http.Testing;

namespace Playback.Tests;

public partial class CallingApiTests
{
    private const string Endpoint = "https://example.signalwire.com/api/calling/calls";
    private const string Token = "tok-secret-123";
    private const string CallId = "call-7f3a";
    private const string ControlId = "ctl-1";

    private static readonly PlaybackSettings Settings = new() { ProjectId = "proj", ApiToken = Token, Space = "example" };

    private static readonly IReadOnlyList<MediaItem> OneTts = [Media.Tts("Hi")];

    private static CallingApi NewApi(PlaybackSettings? settings = null) => new(settings ?? Settings);

    private static Task PauseAsync(CallingApi api, CancellationToken ct = default) => api.PauseAsync(CallId, ControlId, ct);

    /// <summary>Sends through a fresh API and asserts that exactly one POST went to the endpoint with this body.</summary>
    private static async Task AssertPostsAsync(Func<CallingApi, Task> send, string expected)
    {
        using var http = new HttpTest();
        using var api = NewApi();

        await send(api);

        http.ShouldHaveCalled(Endpoint).WithVerb(HttpMethod.Post).WithRequestBody(expected).Times(1);
        Assert.Equal(expected, Assert.Single(http.CallLog).RequestBody);
    }

    /// <summary>Pauses through a fresh API whose server answers with this body, status and headers; asserts the one call went out.</summary>
    private static async Task PauseAnsweredWithAsync(string body, int status, object? headers = null)
    {
        using var http = new HttpTest();
        http.RespondWith(body, status, headers);
        using var api = NewApi();

        await PauseAsync(api);

        http.ShouldHaveCalled(Endpoint).Times(1);
    }

    /// <summary>The exact <see cref="CallingApiException"/> a pause fails with when the server answers like this.</summary>
    private static Task<CallingApiException> PauseFailsAsync(string body, int status, object? headers = null) =>
        Assert.ThrowsAsync<CallingApiException>(() => PauseAnsweredWithAsync(body, status, headers));

    /// <summary>The URL of the one request a pause through an API with these settings sent.</summary>
    private static async Task<string> PauseUrlAsync(PlaybackSettings settings)
    {
        using var http = new HttpTest();
        using var api = NewApi(settings);

        await PauseAsync(api);

        return Assert.Single(http.CallLog).Request.Url.ToString();
    }

    // ---- request bodies, one per command ----

    [Fact]
    public async Task Play_with_every_option_set_posts_the_exact_snake_case_body()
    {
        const string Expected =
            """{"id":"call-7f3a","command":"calling.play","params":{"control_id":"ctl-1","play":[""" +
            """{"type":"tts","params":{"text":"Hi","language":"en-US","gender":"male","voice":"Polly.Joanna"}},""" +
            """{"type":"silence","params":{"duration":1}},""" +
            """{"type":"audio","params":{"url":"https://cdn.example.com/a.mp3"}},""" +
            """{"type":"ringtone","params":{"name":"us","duration":2.5}}""" +
            """],"volume":-3.5,"direction":"speak","loop":2,"language":"en-GB","voice":"Polly.Amy","gender":"female","status_url":"https://hooks.example.com/status"}}""";

        await AssertPostsAsync(api => api.PlayAsync(
            CallId,
            ControlId,
            [
                Media.Tts("Hi", "en-US", TtsGender.Male, "Polly.Joanna"),
                Media.Silence(1),
                Media.Audio("https://cdn.example.com/a.mp3"),
                Media.Ringtone("us", 2.5),
            ],
            SampleOptions.EveryOptionSet(ControlId, PlayDirection.Speak, loop: 2),
            CancellationToken.None),
            Expected);
    }

    [Fact]
    public async Task Play_with_default_options_posts_only_control_id_and_play()
    {
        const string expected = """{"id":"call-7f3a","command":"calling.play","params":{"control_id":"ctl-1","play":[{"type":"tts","params":{"text":"Hi"}}]}}""";

        await AssertPostsAsync(api => api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, CancellationToken.None), expected);
    }

    [Fact]
    public async Task Play_with_direction_both_listen_and_loop_zero_writes_them()
    {
        using var http = new HttpTest();
        using var api = NewApi();

        await api.PlayAsync(CallId, ControlId, [Media.Ringtone("bong")], new PlayOptions { Direction = PlayDirection.Both, Loop = 0, Volume = 40 }, CancellationToken.None);
        await api.PlayAsync(CallId, "ctl-2", [Media.Ringtone("bong")], new PlayOptions { Direction = PlayDirection.Listen, Gender = TtsGender.Male }, CancellationToken.None);

        Assert.Equal(
            """{"id":"call-7f3a","command":"calling.play","params":{"control_id":"ctl-1","play":[{"type":"ringtone","params":{"name":"bong"}}],"volume":40,"direction":"both","loop":0}}""",
            http.CallLog[0].RequestBody);
        Assert.Equal(
            """{"id":"call-7f3a","command":"calling.play","params":{"control_id":"ctl-2","play":[{"type":"ringtone","params":{"name":"bong"}}],"direction":"listen","gender":"male"}}""",
            http.CallLog[1].RequestBody);
    }

    public static TheoryData<string, Func<ICallingApi, Task>> ControlCommands => new()
    {
        { "calling.play.pause", api => api.PauseAsync(CallId, ControlId, CancellationToken.None) },
        { "calling.play.resume", api => api.ResumeAsync(CallId, ControlId, CancellationToken.None) },
        { "calling.play.stop", api => api.StopAsync(CallId, ControlId, CancellationToken.None) },
    };

    [Theory]
    [MemberData(nameof(ControlCommands))]
    public async Task Pause_resume_and_stop_post_only_the_control_id(string command, Func<ICallingApi, Task> send)
    {
        var expected = $$$"""{"id":"call-7f3a","command":"{{{command}}}","params":{"control_id":"ctl-1"}}""";

        await AssertPostsAsync(send, expected);
    }

    [Theory]
    [InlineData(6.0, "6")]
    [InlineData(-12.5, "-12.5")]
    [InlineData(-40.0, "-40")]
    [InlineData(0.0, "0")]
    public async Task Volume_posts_the_control_id_and_the_absolute_level(double volume, string written)
    {
        var expected = $$$"""{"id":"call-7f3a","command":"calling.play.volume","params":{"control_id":"ctl-1","volume":{{{written}}}}}""";

        await AssertPostsAsync(api => api.SetVolumeAsync(CallId, ControlId, volume, CancellationToken.None), expected);
    }

    [Fact]
    public async Task Invalid_arguments_are_rejected_before_any_request()
    {
        using var http = new HttpTest();
        using var api = NewApi();

        var volume = await Assert.ThrowsAnyAsync<ArgumentException>(() => api.SetVolumeAsync(CallId, ControlId, 41, CancellationToken.None));
        Assert.Equal("volume", volume.ParamName);
        var control = await Assert.ThrowsAnyAsync<ArgumentException>(() => api.PauseAsync(CallId, "bad id", CancellationToken.None));
        Assert.Equal("control_id", control.ParamName);
        var call = await Assert.ThrowsAnyAsync<ArgumentException>(() => api.StopAsync(" ", ControlId, CancellationToken.None));
        Assert.Equal("call_id", call.ParamName);
        foreach (var unpaired in new[] { "call-\ud800", "\udc00call", "call-\udc00\ud800" })
        {
            var surrogate = await Assert.ThrowsAnyAsync<ArgumentException>(() => api.StopAsync(unpaired, ControlId, CancellationToken.None));
            Assert.Equal("call_id", surrogate.ParamName);
            Assert.Contains("unpaired surrogates", surrogate.Message, StringComparison.Ordinal);
        }

        var media = await Assert.ThrowsAnyAsync<ArgumentException>(() => api.PlayAsync(CallId, ControlId, [Media.Tts("a"), new SilenceMedia(0)], PlayOptions.Default, CancellationToken.None));
        Assert.Equal("media[1].duration", media.ParamName);
        var empty = await Assert.ThrowsAnyAsync<ArgumentException>(() => api.PlayAsync(CallId, ControlId, [], PlayOptions.Default, CancellationToken.None));
        Assert.Equal("media", empty.ParamName);

        http.ShouldNotHaveMadeACall();
    }

    // ---- headers ----

    [Fact]
    public async Task Requests_carry_basic_auth_accept_json_content_type_and_user_agent_over_real_http()
    {
        // Real HTTP on loopback: the headers are HttpClient's defaults, which only a request that is really sent carries.
        var seen = new List<Dictionary<string, string>>();
        await using var server = await LoopbackWebApp.StartAsync(map: app => app.MapPost("/api/calling/calls", (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            lock (seen)
            {
                seen.Add(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
            }

            return Microsoft.AspNetCore.Http.Results.Json(new { code = "200", message = "Playing" });
        }));
        using var api = new CallingApi(Settings with { Space = null, BaseUrl = new Uri(server.BaseUrl) });

        await PauseAsync(api);
        await PauseAsync(api);

        Assert.Equal(2, seen.Count);
        foreach (var headers in seen)
        {
            var auth = AuthenticationHeaderValue.Parse(headers["Authorization"]);
            Assert.Equal(("Basic", Convert.ToBase64String("proj:tok-secret-123"u8.ToArray())), (auth.Scheme, auth.Parameter));
            Assert.Equal("application/json", headers["Accept"]);
            Assert.Equal(CallingApi.UserAgent, headers["User-Agent"]);
            Assert.StartsWith("application/json", headers["Content-Type"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void User_agent_is_playback_slash_the_assembly_version()
    {
        Assert.StartsWith("Playback/", CallingApi.UserAgent, StringComparison.Ordinal);
        var version = CallingApi.UserAgent["Playback/".Length..];
        Assert.True(Version.TryParse(version.Split('-')[0], out _), $"'{version}' is not a version");
        Assert.DoesNotContain("+", version, StringComparison.Ordinal);
        Assert.True(ProductInfoHeaderValue.TryParse(CallingApi.UserAgent, out _));
    }

    // ---- success ----

    [Theory]
    [InlineData(200)]
    [InlineData(201)]
    [InlineData(202)]
    [InlineData(204)]
    public async Task A_2xx_answer_with_an_empty_body_succeeds(int status)
    {
        await PauseAnsweredWithAsync(string.Empty, status);
    }

    [Fact]
    public async Task A_200_answer_with_a_call_object_succeeds()
    {
        using var http = new HttpTest();
        http.RespondWith("""{"id":"call-7f3a","from":"+15550001","to":"+15550002","status":"answered","unknown":{"x":1}}""");
        using var api = NewApi();

        await api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, CancellationToken.None);

        http.ShouldHaveCalled(Endpoint).Times(1);
    }
}
