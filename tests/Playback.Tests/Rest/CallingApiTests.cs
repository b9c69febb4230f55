using System.Net;
using System.Net.Http.Headers;
using Flurl.Http;
using Flurl.Http.Testing;

namespace Playback.Tests;

public class CallingApiTests
{
    private const string Endpoint = "https://example.signalwire.com/api/calling/calls";
    private const string Token = "tok-secret-123";
    private const string CallId = "call-7f3a";
    private const string ControlId = "ctl-1";

    private static readonly PlaybackSettings Settings = new() { ProjectId = "proj", ApiToken = Token, Space = "example" };

    private static readonly IReadOnlyList<MediaItem> OneTts = [Media.Tts("Hi")];

    private static CallingApi NewApi(PlaybackSettings? settings = null) => new(settings ?? Settings);

    private static Task PauseAsync(CallingApi api, CancellationToken ct = default) => api.PauseAsync(CallId, ControlId, ct);

    // ---- request bodies, one per command ----

    [Fact]
    public async Task Play_with_every_option_set_posts_the_exact_snake_case_body()
    {
        using var http = new HttpTest();
        using var api = NewApi();

        await api.PlayAsync(
            CallId,
            ControlId,
            [
                Media.Tts("Hi", "en-US", TtsGender.Male, "Polly.Joanna"),
                Media.Silence(1),
                Media.Audio("https://cdn.example.com/a.mp3"),
                Media.Ringtone("us", 2.5),
            ],
            new PlayOptions
            {
                ControlId = ControlId,
                Volume = -3.5,
                Direction = PlayDirection.Speak,
                Loop = 2,
                Language = "en-GB",
                Voice = "Polly.Amy",
                Gender = TtsGender.Female,
                StatusUrl = new Uri("https://hooks.example.com/status"),
                WhenBusy = PlayConflict.Replace,
            },
            CancellationToken.None);

        const string expected =
            """{"id":"call-7f3a","command":"calling.play","params":{"control_id":"ctl-1","play":[""" +
            """{"type":"tts","params":{"text":"Hi","language":"en-US","gender":"male","voice":"Polly.Joanna"}},""" +
            """{"type":"silence","params":{"duration":1}},""" +
            """{"type":"audio","params":{"url":"https://cdn.example.com/a.mp3"}},""" +
            """{"type":"ringtone","params":{"name":"us","duration":2.5}}""" +
            """],"volume":-3.5,"direction":"speak","loop":2,"language":"en-GB","voice":"Polly.Amy","gender":"female","status_url":"https://hooks.example.com/status"}}""";
        http.ShouldHaveCalled(Endpoint).WithVerb(HttpMethod.Post).WithRequestBody(expected).Times(1);
        Assert.Equal(expected, Assert.Single(http.CallLog).RequestBody);
    }

    [Fact]
    public async Task Play_with_default_options_posts_only_control_id_and_play()
    {
        using var http = new HttpTest();
        using var api = NewApi();

        await api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, CancellationToken.None);

        const string expected = """{"id":"call-7f3a","command":"calling.play","params":{"control_id":"ctl-1","play":[{"type":"tts","params":{"text":"Hi"}}]}}""";
        http.ShouldHaveCalled(Endpoint).WithVerb(HttpMethod.Post).WithRequestBody(expected).Times(1);
        Assert.Equal(expected, Assert.Single(http.CallLog).RequestBody);
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
        using var http = new HttpTest();
        using var api = NewApi();

        await send(api);

        var expected = $$$"""{"id":"call-7f3a","command":"{{{command}}}","params":{"control_id":"ctl-1"}}""";
        http.ShouldHaveCalled(Endpoint).WithVerb(HttpMethod.Post).WithRequestBody(expected).Times(1);
        Assert.Equal(expected, Assert.Single(http.CallLog).RequestBody);
    }

    [Theory]
    [InlineData(6.0, "6")]
    [InlineData(-12.5, "-12.5")]
    [InlineData(-40.0, "-40")]
    [InlineData(0.0, "0")]
    public async Task Volume_posts_the_control_id_and_the_absolute_level(double volume, string written)
    {
        using var http = new HttpTest();
        using var api = NewApi();

        await api.SetVolumeAsync(CallId, ControlId, volume, CancellationToken.None);

        var expected = $$$"""{"id":"call-7f3a","command":"calling.play.volume","params":{"control_id":"ctl-1","volume":{{{written}}}}}""";
        http.ShouldHaveCalled(Endpoint).WithVerb(HttpMethod.Post).WithRequestBody(expected).Times(1);
        Assert.Equal(expected, Assert.Single(http.CallLog).RequestBody);
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
        var media = await Assert.ThrowsAnyAsync<ArgumentException>(() => api.PlayAsync(CallId, ControlId, [Media.Tts("a"), new SilenceMedia(0)], PlayOptions.Default, CancellationToken.None));
        Assert.Equal("media[1].duration", media.ParamName);
        var empty = await Assert.ThrowsAnyAsync<ArgumentException>(() => api.PlayAsync(CallId, ControlId, [], PlayOptions.Default, CancellationToken.None));
        Assert.Equal("media", empty.ParamName);

        http.ShouldNotHaveMadeACall();
    }

    // ---- headers ----

    [Fact]
    public async Task Requests_carry_basic_auth_accept_json_content_type_and_user_agent()
    {
        using var http = new HttpTest();
        using var api = NewApi();

        await PauseAsync(api);

        http.ShouldHaveCalled(Endpoint)
            .WithBasicAuth("proj", Token)
            .WithHeader("Accept", "application/json")
            .WithHeader("User-Agent", CallingApi.UserAgent)
            .WithContentType("application/json")
            .Times(1);
        var request = Assert.Single(http.CallLog).HttpRequestMessage;
        Assert.Equal("Basic", request.Headers.Authorization?.Scheme);
        Assert.Equal(Convert.ToBase64String("proj:tok-secret-123"u8.ToArray()), request.Headers.Authorization?.Parameter);
        Assert.Equal(CallingApi.UserAgent, request.Headers.UserAgent.ToString());
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
        using var http = new HttpTest();
        http.RespondWith(string.Empty, status);
        using var api = NewApi();

        await PauseAsync(api);

        http.ShouldHaveCalled(Endpoint).Times(1);
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

    // ---- error mapping ----

    [Fact]
    public async Task A_422_maps_to_a_final_CallingApiException_with_the_server_errors()
    {
        using var http = new HttpTest();
        http.RespondWith("""{"errors":[{"type":"validation_error","code":"invalid","message":"is not a URL","attribute":"url"}]}""", 422);
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, CancellationToken.None));

        Assert.Equal(422, e.StatusCode);
        var error = Assert.Single(e.Errors);
        Assert.Equal(new CallingApiError("validation_error", "invalid", "is not a URL", "url"), error);
        Assert.Equal("url", e.Errors[0].Attribute);
        Assert.NotNull(e.ServerMessage);
        Assert.Contains("url", e.ServerMessage, StringComparison.Ordinal);
        Assert.Contains("is not a URL", e.ServerMessage, StringComparison.Ordinal);
        Assert.Contains("is not a URL", e.Message, StringComparison.Ordinal);
        Assert.Contains("422", e.Message, StringComparison.Ordinal);
        Assert.False(e.IsTransient);
        Assert.Null(e.RetryAfter);
        Assert.Equal("calling.play", e.Command);
        Assert.Equal(CallId, e.CallId);
        Assert.Equal(ControlId, e.ControlId);
    }

    [Theory]
    [InlineData(400, "Bad Request")]
    [InlineData(401, "Unauthorized")]
    [InlineData(403, "Forbidden")]
    public async Task A_400_401_or_403_is_final_and_carries_the_server_message(int status, string error)
    {
        using var http = new HttpTest();
        http.RespondWith($$"""{"error":"{{error}}"}""", status);
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal(status, e.StatusCode);
        Assert.False(e.IsTransient);
        Assert.Equal(error, e.ServerMessage);
        Assert.Empty(e.Errors);
        Assert.Contains(error, e.Message, StringComparison.Ordinal);
        Assert.Equal("calling.play.pause", e.Command);
    }

    [Fact]
    public async Task A_404_on_a_play_is_a_CallGoneException_that_is_not_transient()
    {
        using var http = new HttpTest();
        http.RespondWith("""{"error":"Not Found"}""", 404);
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallGoneException>(() => api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, CancellationToken.None));

        Assert.Equal(404, e.StatusCode);
        Assert.False(e.IsTransient);
        Assert.False(e.MayHaveBeenApplied);
        Assert.Equal("Not Found", e.ServerMessage);
        Assert.Equal("calling.play", e.Command);
        Assert.Equal(CallId, e.CallId);
        Assert.Equal(ControlId, e.ControlId);
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("pause")]
    [InlineData("resume")]
    [InlineData("volume")]
    public async Task A_404_on_a_control_command_is_a_plain_404_not_a_call_gone(string command)
    {
        using var http = new HttpTest();
        http.RespondWith(command == "stop" ? string.Empty : """{"error":"Not Found"}""", 404);
        using var api = NewApi();

        var e = await Assert.ThrowsAnyAsync<CallingApiException>(() => command switch
        {
            "stop" => api.StopAsync(CallId, ControlId, CancellationToken.None),
            "pause" => PauseAsync(api),
            "resume" => api.ResumeAsync(CallId, ControlId, CancellationToken.None),
            _ => api.SetVolumeAsync(CallId, ControlId, 2, CancellationToken.None),
        });

        Assert.IsNotType<CallGoneException>(e);
        Assert.Equal(404, e.StatusCode);
        Assert.False(e.IsTransient);
        Assert.Equal("Not Found", e.ServerMessage);
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(429, false)]
    [InlineData(422, false)]
    public async Task Only_a_5xx_answer_may_have_been_applied(int status, bool maybe)
    {
        using var http = new HttpTest();
        http.RespondWith(string.Empty, status);
        using var api = NewApi();

        var e = await Assert.ThrowsAnyAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal(maybe, e.MayHaveBeenApplied);
    }

    [Fact]
    public async Task A_429_with_retry_after_seconds_is_transient_and_carries_the_wait()
    {
        using var http = new HttpTest();
        http.RespondWith(string.Empty, 429, new Dictionary<string, string> { ["Retry-After"] = "7" });
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => api.SetVolumeAsync(CallId, ControlId, 3, CancellationToken.None));

        Assert.IsNotType<CallGoneException>(e);
        Assert.Equal(429, e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
        Assert.Equal("calling.play.volume", e.Command);
    }

    [Fact]
    public async Task A_429_without_retry_after_is_transient_with_no_wait()
    {
        using var http = new HttpTest();
        http.RespondWith("Too Many Requests", 429);
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.True(e.IsTransient);
        Assert.Null(e.RetryAfter);
        Assert.Equal("Too Many Requests", e.ServerMessage);
    }

    [Fact]
    public void Retry_after_as_an_http_date_is_the_time_until_that_date_and_never_negative()
    {
        var now = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromSeconds(30), CallingApi.ReadRetryAfter(new RetryConditionHeaderValue(now.AddSeconds(30)), now));
        Assert.Equal(TimeSpan.Zero, CallingApi.ReadRetryAfter(new RetryConditionHeaderValue(now.AddSeconds(-30)), now));
        Assert.Equal(TimeSpan.FromSeconds(7), CallingApi.ReadRetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), now));
        Assert.Null(CallingApi.ReadRetryAfter(null, now));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task A_5xx_is_transient(int status)
    {
        using var http = new HttpTest();
        http.RespondWith("<html>oops</html>", status);
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal(status, e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.Equal("<html>oops</html>", e.ServerMessage);
    }

    [Theory]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(422, false)]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(501, false)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    public void IsTransientStatus_matches_the_protocol(int status, bool transient)
    {
        Assert.Equal(transient, CallingApiException.IsTransientStatus(status));
    }

    [Theory]
    [InlineData("x-request-id")]
    [InlineData("x-signalwire-request-id")]
    [InlineData("request-id")]
    public async Task The_request_id_is_read_from_the_response_headers(string header)
    {
        using var http = new HttpTest();
        http.RespondWith("""{"error":"Forbidden"}""", 403, new Dictionary<string, string> { [header] = "req-42" });
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal("req-42", e.RequestId);
        Assert.Contains("req-42", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task X_request_id_wins_over_the_other_request_id_headers()
    {
        using var http = new HttpTest();
        http.RespondWith(string.Empty, 500, new Dictionary<string, string> { ["request-id"] = "third", ["x-signalwire-request-id"] = "second", ["x-request-id"] = "first" });
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal("first", e.RequestId);
    }

    [Fact]
    public async Task A_404_carries_the_request_id_too()
    {
        using var http = new HttpTest();
        http.RespondWith(string.Empty, 404, new Dictionary<string, string> { ["x-signalwire-request-id"] = "sw-9" });
        using var api = NewApi();

        var e = await Assert.ThrowsAnyAsync<CallingApiException>(() => PauseAsync(api));

        Assert.Equal("sw-9", e.RequestId);
    }

    [Fact]
    public async Task A_timeout_is_a_transient_CallingApiException_without_status()
    {
        using var http = new HttpTest();
        http.SimulateTimeout();
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, CancellationToken.None));

        Assert.Null(e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.Equal("calling.play", e.Command);
        Assert.Equal(CallId, e.CallId);
        Assert.Equal(ControlId, e.ControlId);
        Assert.Contains("no response", e.Message, StringComparison.Ordinal);
        Assert.True(e.MayHaveBeenApplied);
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, false)]
    [InlineData(HttpRequestError.NameResolutionError, false)]
    [InlineData(HttpRequestError.ResponseEnded, true)]
    [InlineData(HttpRequestError.Unknown, true)]
    public async Task A_transport_failure_may_have_been_applied_unless_no_connection_was_made(HttpRequestError kind, bool maybe)
    {
        using var http = new HttpTest();
        http.SimulateException(new HttpRequestException(kind, "transport"));
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, CancellationToken.None));

        Assert.True(e.IsTransient);
        Assert.Equal(maybe, e.MayHaveBeenApplied);
    }

    [Fact]
    public async Task A_connection_failure_is_a_transient_CallingApiException_without_status()
    {
        using var http = new HttpTest();
        http.SimulateException(new HttpRequestException("refused"));
        using var api = NewApi();

        var e = await Assert.ThrowsAsync<CallingApiException>(() => api.ResumeAsync(CallId, ControlId, CancellationToken.None));

        Assert.Null(e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.Contains("refused", e.ServerMessage, StringComparison.Ordinal);
        Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.Equal("calling.play.resume", e.Command);
        Assert.Equal(CallId, e.CallId);
        Assert.Equal(ControlId, e.ControlId);
    }

    [Fact]
    public async Task A_cancelled_token_throws_OperationCanceledException_without_a_request()
    {
        using var http = new HttpTest();
        using var api = NewApi();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PauseAsync(api, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => api.SetVolumeAsync(CallId, ControlId, 1, cts.Token));

        http.ShouldNotHaveMadeACall();
    }

    [Fact]
    public async Task Cancelling_while_the_request_is_in_flight_throws_OperationCanceledException_not_a_transient_error()
    {
        using var http = new HttpTest();
        using var cts = new CancellationTokenSource();
        http.RespondWith(() =>
        {
            cts.Cancel();
            throw new TaskCanceledException("the caller gave up");
        });
        using var api = NewApi();

        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, cts.Token));

        Assert.Equal(cts.Token, e.CancellationToken);
        http.ShouldHaveCalled(Endpoint).Times(1);
    }

    public static TheoryData<string> Failures => new() { "401", "422", "404", "500", "timeout", "refused" };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task The_exception_never_contains_the_api_token(string failure)
    {
        using var http = new HttpTest();
        switch (failure)
        {
            case "timeout":
                http.SimulateTimeout();
                break;
            case "refused":
                http.SimulateException(new HttpRequestException("refused"));
                break;
            default:
                http.RespondWith("""{"errors":[{"type":"validation_error","code":"invalid","message":"is not a URL","attribute":"url"}]}""", int.Parse(failure, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }

        using var api = NewApi();

        var e = await Assert.ThrowsAnyAsync<CallingApiException>(() => api.PlayAsync(CallId, ControlId, OneTts, PlayOptions.Default, CancellationToken.None));

        Assert.DoesNotContain(Token, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, e.ToString(), StringComparison.Ordinal);
        var basic = Convert.ToBase64String("proj:tok-secret-123"u8.ToArray());
        Assert.DoesNotContain(basic, e.ToString(), StringComparison.Ordinal);
        Assert.Equal(CallId, e.CallId);
        Assert.Equal(ControlId, e.ControlId);
        Assert.Equal("calling.play", e.Command);
    }

    // ---- base URL ----

    [Theory]
    [InlineData("example")]
    [InlineData("example.signalwire.com")]
    [InlineData("Example.SignalWire.com")]
    [InlineData("https://example.signalwire.com/")]
    public async Task A_space_name_or_host_resolves_to_the_https_signalwire_endpoint(string space)
    {
        using var http = new HttpTest();
        using var api = NewApi(Settings with { Space = space });

        await PauseAsync(api);

        http.ShouldHaveCalled(Endpoint).Times(1);
        Assert.Equal(Endpoint, Assert.Single(http.CallLog).Request.Url.ToString());
    }

    [Fact]
    public async Task A_loopback_http_base_url_overrides_the_space()
    {
        using var http = new HttpTest();
        using var api = NewApi(Settings with { BaseUrl = new Uri("http://127.0.0.1:5555") });

        await PauseAsync(api);

        Assert.Equal("http://127.0.0.1:5555/api/calling/calls", Assert.Single(http.CallLog).Request.Url.ToString());
        http.ShouldNotHaveCalled(Endpoint);
    }

    [Fact]
    public async Task A_localhost_http_base_url_is_allowed()
    {
        using var http = new HttpTest();
        using var api = NewApi(new PlaybackSettings { ProjectId = "proj", ApiToken = Token, BaseUrl = new Uri("http://localhost:8080/") });

        await PauseAsync(api);

        Assert.Equal("http://localhost:8080/api/calling/calls", Assert.Single(http.CallLog).Request.Url.ToString());
    }

    [Fact]
    public async Task An_https_base_url_on_any_host_is_accepted()
    {
        using var http = new HttpTest();
        using var api = NewApi(Settings with { BaseUrl = new Uri("https://api.example.com") });

        await PauseAsync(api);

        Assert.Equal("https://api.example.com/api/calling/calls", Assert.Single(http.CallLog).Request.Url.ToString());
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
