using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Playback.IntegrationTests;

/// <summary>
/// The CallControlService sample answers every bad input with the 4xx that names the problem, as
/// <c>application/problem+json</c>, and never a 5xx: bad and unknown ids on every endpoint, bodies that are too large,
/// not JSON or not the endpoint's JSON, media and options Playback refuses, and commands the playback's state does not allow.
/// </summary>
public sealed class CallControlServiceBadInputTests(CallControlServiceFixture service) : IClassFixture<CallControlServiceFixture>
{
    private const string Tts = """{"type":"tts","params":{"text":"Hello"}}""";

    public static TheoryData<string, int> BadCallIds => new()
    {
        { "%01control", 400 },
        { "%20", 400 },
        { new string('c', 129), 400 },
        { new string('c', 2000), 400 },
        { "unknown-" + Guid.NewGuid(), 404 },
    };

    public static TheoryData<string, int> BadPlayBodies => new()
    {
        { "", 400 },
        { "{", 400 },
        { "null", 400 },
        { "[]", 400 },
        { "\"media\"", 400 },
        { $$"""{"media":[{{Tts}}],"unknown":1}""", 400 },
        { $$"""{"media":[{{Tts}}],"volume":"loud"}""", 400 },
        { $$"""{"media":[{{Tts}}],"loop":1.5}""", 400 },
        { "{}", 422 },
        { """{"media":[]}""", 422 },
        { """{"media":"hello"}""", 422 },
        { """{"media":[{"type":"video","params":{"url":"https://example.com/a.mp4"}}]}""", 422 },
        { """{"media":[{"type":"audio","params":{"url":"not a url"}}]}""", 422 },
        { """{"media":[{"type":"audio","params":{"url":"ftp://example.com/a.mp3"}}]}""", 422 },
        { """{"media":[{"type":"tts","params":{"text":""}}]}""", 422 },
        { """{"media":[{"type":"silence","params":{"duration":-1}}]}""", 422 },
        { """{"media":[{"type":"ringtone","params":{"name":"nowhere"}}]}""", 422 },
        { $$"""{"media":[{{Tts}}],"volume":99}""", 422 },
        { $$"""{"media":[{{Tts}}],"loop":-1}""", 422 },
        { $$"""{"media":[{{Tts}}],"direction":"sideways"}""", 422 },
        { $$"""{"media":[{{Tts}}],"gender":"robot"}""", 422 },
        { $$"""{"media":[{{Tts}}],"whenBusy":"2"}""", 422 },
        { $$"""{"media":[{{Tts}}],"language":"english!"}""", 422 },
        { $$"""{"media":[{{Tts}}],"controlId":"bad id!"}""", 422 },
        { $$"""{"media":[{{Tts}}],"controlId":"{{new string('x', 129)}}"}""", 422 },
    };

    public static TheoryData<string, int> BadVolumeBodies => new()
    {
        { "", 400 },
        { "{", 400 },
        { """{"volume":"loud"}""", 400 },
        { """{"volume":-3,"db":2}""", 400 },
        { "{}", 422 },
        { """{"volume":41}""", 422 },
        { """{"volume":-1000}""", 422 },
    };

    [Theory]
    [MemberData(nameof(BadCallIds))]
    public async Task Every_endpoint_answers_a_malformed_over_long_or_unknown_call_id_with_a_problem(string callId, int expected)
    {
        foreach (var request in EveryEndpoint(callId))
        {
            await AssertProblemAsync(request, expected);
        }
    }

    [Fact]
    public async Task Every_endpoint_answers_an_ended_call_with_404()
    {
        var callId = await service.CreateCallAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await service.Http.DeleteAsync($"/calls/{callId}")).StatusCode);

        foreach (var request in EveryEndpoint(callId))
        {
            await AssertProblemAsync(request, 404);
        }
    }

    [Theory]
    [MemberData(nameof(BadPlayBodies))]
    public async Task Play_answers_a_malformed_body_with_400_and_media_or_options_Playback_refuses_with_422(string body, int expected)
    {
        var callId = await service.CreateCallAsync();

        var problem = await AssertProblemAsync(Post($"/calls/{callId}/play", body), expected);

        if (expected == 422)
        {
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("field").GetString()));
        }

        Assert.Empty(await SnapshotAsync(callId)); // nothing was played
    }

    [Theory]
    [MemberData(nameof(BadVolumeBodies))]
    public async Task Volume_answers_a_malformed_body_with_400_and_a_volume_out_of_range_with_422(string body, int expected)
    {
        var callId = await service.CreateCallAsync();
        Assert.Equal(HttpStatusCode.OK, (await service.Http.PostAsync($"/calls/{callId}/hold-music", null)).StatusCode);

        await AssertProblemAsync(Post($"/calls/{callId}/volume", body), expected);

        var playback = Assert.Single(await SnapshotAsync(callId));
        Assert.Equal(-6, playback.GetProperty("volume").GetDouble()); // hold music's level, unchanged
    }

    [Fact]
    public async Task Bodies_over_the_limit_get_413_with_or_without_a_content_length()
    {
        var callId = await service.CreateCallAsync();
        var huge = $$$"""{"media":[{"type":"tts","params":{"text":"{{{new string('a', 1024 * 1024)}}}"}}]}""";

        foreach (var path in new[] { "play", "volume", "pause", "resume", "stop", "hold-music" })
        {
            await AssertProblemAsync(Post($"/calls/{callId}/{path}", huge), 413);
        }

        foreach (var path in new[] { "play", "volume" })
        {
            // Chunked: no Content-Length, so the limit is found while reading.
            var chunked = new HttpRequestMessage(HttpMethod.Post, $"/calls/{callId}/{path}")
            {
                Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))),
            };
            chunked.Headers.TransferEncodingChunked = true;
            await AssertProblemAsync(chunked, 413);
        }

        Assert.Empty(await SnapshotAsync(callId));
    }

    [Fact]
    public async Task Commands_the_state_does_not_allow_get_409_and_unknown_playbacks_404()
    {
        var callId = await service.CreateCallAsync();

        foreach (var path in new[] { "pause", "resume", "stop" })
        {
            await AssertProblemAsync(Post($"/calls/{callId}/{path}", null), 409);           // nothing plays
            await AssertProblemAsync(Post($"/calls/{callId}/{path}?controlId=never-played", null), 404);
            await AssertProblemAsync(Post($"/calls/{callId}/{path}?controlId=bad%20id", null), 400);
            await AssertProblemAsync(Post($"/calls/{callId}/{path}?controlId={new string('x', 129)}", null), 400);
        }

        await AssertProblemAsync(Post($"/calls/{callId}/volume", """{"volume":3}"""), 409);
        await AssertProblemAsync(Post($"/calls/{callId}/volume?controlId=never-played", """{"volume":3}"""), 404);

        Assert.Equal(HttpStatusCode.OK, (await service.Http.PostAsync($"/calls/{callId}/hold-music", null)).StatusCode);
        await AssertProblemAsync(Post($"/calls/{callId}/play", $$"""{"media":[{{Tts}}],"whenBusy":"reject"}"""), 409);
    }

    [Fact]
    public async Task Unknown_routes_and_wrong_methods_are_problems_too()
    {
        var callId = await service.CreateCallAsync();

        await AssertProblemAsync(new HttpRequestMessage(HttpMethod.Get, "/nowhere"), 404);
        await AssertProblemAsync(new HttpRequestMessage(HttpMethod.Put, $"/calls/{callId}/pause"), 405);
        await AssertProblemAsync(new HttpRequestMessage(HttpMethod.Get, $"/calls/{callId}/play"), 405);
    }

    [Fact]
    public async Task The_callers_media_plays_and_its_volume_and_stop_work()
    {
        var callId = await service.CreateCallAsync();
        var http = service.Http;

        using var play = await http.SendAsync(Post($"/calls/{callId}/play", """{"media":[{"type":"tts","text":"Hello"},{"type":"silence","params":{"duration":1}}],"loop":0,"volume":-3}"""));
        Assert.Equal(HttpStatusCode.OK, play.StatusCode);
        var controlId = (await play.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("controlId").GetString();

        using var volume = await http.SendAsync(Post($"/calls/{callId}/volume?controlId={controlId}", """{"volume":-12.5}"""));
        Assert.Equal(HttpStatusCode.OK, volume.StatusCode);
        Assert.Equal(-12.5, (await volume.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("volume").GetDouble());

        using var stop = await http.PostAsync($"/calls/{callId}/stop", null);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Equal("Stopped", (await stop.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
    }

    private static IEnumerable<HttpRequestMessage> EveryEndpoint(string callId)
    {
        yield return Post($"/calls/{callId}/hold-music", null);
        yield return Post($"/calls/{callId}/play", $$"""{"media":[{{Tts}}]}""");
        yield return Post($"/calls/{callId}/pause", null);
        yield return Post($"/calls/{callId}/resume", null);
        yield return Post($"/calls/{callId}/stop", null);
        yield return Post($"/calls/{callId}/volume", """{"volume":-3}""");
        yield return new HttpRequestMessage(HttpMethod.Get, $"/calls/{callId}/playbacks");
        yield return new HttpRequestMessage(HttpMethod.Get, $"/events?callId={callId}");
        yield return new HttpRequestMessage(HttpMethod.Delete, $"/calls/{callId}");
    }

    private static HttpRequestMessage Post(string path, string? json) => new(HttpMethod.Post, path)
    {
        Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"),
    };

    private async Task<JsonElement[]> SnapshotAsync(string callId) =>
        await service.Http.GetFromJsonAsync<JsonElement[]>($"/calls/{callId}/playbacks") ?? [];

    /// <summary>Sends the request and asserts the answer: the expected status, as <c>application/problem+json</c> carrying that status.</summary>
    private async Task<JsonElement> AssertProblemAsync(HttpRequestMessage request, int expected)
    {
        var what = $"{request.Method} {request.RequestUri?.OriginalString[..Math.Min(80, request.RequestUri.OriginalString.Length)]}";
        using (request)
        using (var response = await service.Http.SendAsync(request))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode < 500, $"{what}: {(int)response.StatusCode} {text}");
            Assert.True((int)response.StatusCode == expected, $"{what}: expected {expected}, got {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(text).RootElement.Clone();
            Assert.Equal(expected, problem.GetProperty("status").GetInt32());
            return problem;
        }
    }
}
