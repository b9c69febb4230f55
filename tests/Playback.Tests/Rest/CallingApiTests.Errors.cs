using System.Net.Http.Headers;
using Flurl.Http.Testing;

namespace Playback.Tests;

/// <summary>How answers and transport failures become exceptions: status mapping, Retry-After, request ids, timeouts, cancellation, no token in messages.</summary>
public partial class CallingApiTests
{
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
        var e = await PauseFailsAsync($$"""{"error":"{{error}}"}""", status);

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

    /// <summary>A status and whether a request answered with it may still have been applied.</summary>
    public static TheoryData<int, bool> MaybeApplied => new() { { 500, true }, { 503, true }, { 429, false }, { 422, false } };

    [Theory]
    [MemberData(nameof(MaybeApplied))]
    public async Task Only_a_5xx_answer_may_have_been_applied(int status, bool maybe)
    {
        var e = await Assert.ThrowsAnyAsync<CallingApiException>(() => PauseAnsweredWithAsync(string.Empty, status));

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
        var e = await PauseFailsAsync("Too Many Requests", 429);

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
        var e = await PauseFailsAsync("<html>oops</html>", status);

        Assert.Equal(status, e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.Equal("<html>oops</html>", e.ServerMessage);
    }

    /// <summary>Every status the protocol names, and whether it is transient.</summary>
    public static TheoryData<int, bool> ProtocolStatuses => new()
    {
        { 400, false }, { 401, false }, { 403, false }, { 404, false }, { 409, false }, { 422, false },
        { 408, true }, { 429, true },
        { 500, true }, { 501, false }, { 502, true }, { 503, true }, { 504, true },
    };

    [Theory]
    [MemberData(nameof(ProtocolStatuses))]
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
        var e = await PauseFailsAsync("""{"error":"Forbidden"}""", 403, new Dictionary<string, string> { [header] = "req-42" });

        Assert.Equal("req-42", e.RequestId);
        Assert.Contains("req-42", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task X_request_id_wins_over_the_other_request_id_headers()
    {
        var e = await PauseFailsAsync(string.Empty, 500, new Dictionary<string, string> { ["request-id"] = "third", ["x-signalwire-request-id"] = "second", ["x-request-id"] = "first" });

        Assert.Equal("first", e.RequestId);
    }

    [Fact]
    public async Task A_404_carries_the_request_id_too()
    {
        var e = await Assert.ThrowsAnyAsync<CallingApiException>(() => PauseAnsweredWithAsync(string.Empty, 404, new Dictionary<string, string> { ["x-signalwire-request-id"] = "sw-9" }));

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
}
