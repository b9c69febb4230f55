using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Playback.Emulator.Tests;

/// <summary>One emulator (default options) shared by the tests of a class; each test makes its own calls.</summary>
public sealed class SharedEmulator : IAsyncLifetime
{
    public CallingEmulator Emulator { get; private set; } = null!;

    public EmulatorClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Emulator = await CallingEmulator.StartAsync();
        Client = new EmulatorClient(Emulator);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Emulator.DisposeAsync();
    }
}

/// <summary>Auth, sealed-schema validation (422 naming the attribute), flat media, and the 404/422 rules for calls and control ids.</summary>
public sealed class ValidationTests(SharedEmulator shared) : IClassFixture<SharedEmulator>
{
    private const string Silence = """[{"type":"silence","params":{"duration":1}}]""";

    private CallingEmulator Emu => shared.Emulator;

    private EmulatorClient Client => shared.Client;

    /// <summary>Bodies with exactly one validation error: {call} is replaced by a live call id.</summary>
    public static TheoryData<string, string, string> SingleErrors => new()
    {
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}]},"extra":1}""", "extra", "unknown_attribute" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"colour":"red"}}""", "colour", "unknown_attribute" },
        { """{"id":"{call}","command":"calling.play","params":{"play":[{"type":"silence","params":{"duration":1}}]}}""", "control_id", "required" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"","play":[{"type":"silence","params":{"duration":1}}]}}""", "control_id", "blank" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":7,"play":[{"type":"silence","params":{"duration":1}}]}}""", "control_id", "invalid_type" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a"}}""", "play", "required" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[]}}""", "play", "empty" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":{"type":"silence","params":{"duration":1}}}}""", "play", "invalid_type" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"volume":41}}""", "volume", "out_of_range" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"volume":-41}}""", "volume", "out_of_range" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"volume":"loud"}}""", "volume", "invalid_type" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"loop":-1}}""", "loop", "out_of_range" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"loop":1.5}}""", "loop", "invalid_type" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"direction":"up"}}""", "direction", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"gender":"robot"}}""", "gender", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"language":"english!"}}""", "language", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"voice":"en US!"}}""", "voice", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}],"status_url":"/hooks/play"}}""", "status_url", "invalid_url" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"video","params":{"url":"https://example.com/a.mp4"}}]}}""", "play[0].type", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"params":{"duration":1}}]}}""", "play[0].type", "required" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1,"fade":2}}]}}""", "play[0].params.fade", "unknown_attribute" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1},"extra":true}]}}""", "play[0].extra", "unknown_attribute" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"tts","params":{"language":"en-US"}}]}}""", "play[0].params.text", "required" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"tts","params":{"text":"  "}}]}}""", "play[0].params.text", "blank" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"tts","params":{"text":"hi","gender":"robot"}}]}}""", "play[0].params.gender", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"tts","params":{"text":"hi","language":"??"}}]}}""", "play[0].params.language", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"tts","params":{"text":"hi","voice":"a b"}}]}}""", "play[0].params.voice", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":0}}]}}""", "play[0].params.duration", "out_of_range" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{}}]}}""", "play[0].params.duration", "required" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}},{"type":"silence","params":{"duration":-2}}]}}""", "play[1].params.duration", "out_of_range" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"ringtone","params":{"name":"xx"}}]}}""", "play[0].params.name", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"ringtone","params":{"name":"us","duration":0}}]}}""", "play[0].params.duration", "out_of_range" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"audio","params":{"url":"ftp://example.com/a.mp3"}}]}}""", "play[0].params.url", "invalid_url" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"audio","params":{"url":"a.mp3"}}]}}""", "play[0].params.url", "invalid_url" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"audio","params":{"url":"https://example.com/a.mp3?duration=soon"}}]}}""", "play[0].params.url", "invalid_value" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"audio","params":{}}]}}""", "play[0].params.url", "required" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":["hello"]}}""", "play[0]", "invalid_type" },
        { """{"id":"{call}","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":[1]}]}}""", "play[0].params", "invalid_type" },
        { """{"id":"{call}","command":"calling.play","params":"control_id=a"}""", "params", "invalid_type" },
        { """{"id":"{call}","command":"calling.play"}""", "params", "required" },
        { """{"command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}]}}""", "id", "required" },
        { """{"id":"{call}","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}]}}""", "command", "required" },
        { """{"id":"{call}","command":"calling.record","params":{}}""", "command", "unsupported" },
        { """{"id":"{call}","command":"calling.play.volume","params":{"control_id":"a"}}""", "volume", "required" },
        { """{"id":"{call}","command":"calling.play.volume","params":{"control_id":"a","volume":40.5}}""", "volume", "out_of_range" },
        { """{"id":"{call}","command":"calling.play.pause","params":{}}""", "control_id", "required" },
        { """{"id":"{call}","command":"calling.play.stop","params":{"control_id":"a","volume":3}}""", "volume", "unknown_attribute" },
        { """{"id":"{call}","command":"calling.play.resume"}""", "params", "required" },
        { """[{"id":"{call}"}]""", "body", "invalid_type" },
    };

    [Fact]
    public async Task A_request_without_an_Authorization_header_gets_401_Unauthorized()
    {
        var (status, body, _) = await Client.PostWithAuthorizationAsync("""{"command":"dial","params":{}}""", null);

        Assert.Equal(401, status);
        Assert.Equal("""{"error":"Unauthorized"}""", body.GetRawText());
    }

    [Fact]
    public async Task A_wrong_token_a_wrong_project_or_another_scheme_gets_401_and_is_journaled_as_such()
    {
        var before = Emu.Journal.Requests.Count;
        var wrongToken = await Client.PostAsync("""{"command":"dial","params":{}}""", password: Emu.ApiToken + "x");
        var wrongProject = await Client.PostAsync("""{"command":"dial","params":{}}""", user: "someone-else");
        var bearer = await Client.PostWithAuthorizationAsync("""{"command":"dial","params":{}}""", new AuthenticationHeaderValue("Bearer", Emu.ApiToken));

        Assert.All(new[] { wrongToken, wrongProject, bearer }, r =>
        {
            Assert.Equal(401, r.Status);
            Assert.Equal("Unauthorized", r.Body.GetProperty("error").GetString());
        });
        Assert.Equal(new[] { 401, 401, 401 }, Emu.Journal.Requests.Skip(before).Select(r => r.Status));
    }

    [Fact]
    public async Task The_right_credentials_are_accepted()
    {
        var (status, _, _) = await Client.PostAsync("""{"command":"dial","params":{}}""");

        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Unparseable_JSON_gets_400_Bad_Request()
    {
        var (status, body, _) = await Client.PostAsync("""{"id":"x","command":""");

        Assert.Equal(400, status);
        Assert.Equal("Bad Request", body.GetProperty("error").GetString());
    }

    [Theory]
    [MemberData(nameof(SingleErrors))]
    public async Task Each_invalid_body_gets_422_with_one_error_naming_the_attribute(string template, string attribute, string code)
    {
        var call = Emu.CreateCall();

        var (status, body, _) = await Client.PostAsync(template.Replace("{call}", call, StringComparison.Ordinal));

        Assert.Equal(422, status);
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal("validation_error", error.GetProperty("type").GetString());
        Assert.Equal(attribute, error.GetProperty("attribute").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Empty(Emu.GetPlays(call));
    }

    [Fact]
    public async Task Several_errors_in_one_body_are_all_reported()
    {
        var call = Emu.CreateCall();

        var (status, body, _) = await Client.PostAsync($$$"""
            {"id":"{{{call}}}","command":"calling.play","params":{"control_id":"a","volume":41,"loop":-1,"direction":"up","colour":1,
             "play":[{"type":"silence","params":{"duration":0}},{"type":"tts","params":{}},{"type":"audio","params":{"url":"ftp://x"}}]}}
            """);

        Assert.Equal(422, status);
        var attributes = body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("attribute").GetString()!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "colour", "direction", "loop", "play[0].params.duration", "play[1].params.text", "play[2].params.url", "volume" }, attributes);
    }

    [Fact]
    public async Task Every_valid_media_type_and_option_is_accepted()
    {
        var call = Emu.CreateCall();

        var (status, body, _) = await Client.PostAsync($$$"""
            {"id":"{{{call}}}","command":"calling.play","params":{"control_id":"all","volume":-40,"loop":2,"direction":"both","language":"en-GB","voice":"en-GB.Neural2-A","gender":"male",
             "status_url":"{{{Emu.BaseUrl}}}ignored?x=1",
             "play":[{"type":"audio","params":{"url":"https://example.com/a.mp3"}},{"type":"tts","params":{"text":"Hello","language":"fr-FR","gender":"female","voice":"Polly.Joanna"}},
                     {"type":"silence","params":{"duration":0.5}},{"type":"ringtone","params":{"name":"bong","duration":2}}]}}
            """);

        Assert.Equal(200, status);
        Assert.Equal(call, body.GetProperty("id").GetString());
        var play = Emu.GetPlay(call, "all");
        Assert.NotNull(play);
        Assert.Equal("playing", play.State);
        Assert.Equal(-40.0, play.Volume);
    }

    [Fact]
    public async Task The_flat_media_form_is_rejected_by_default_with_code_flat_media()
    {
        var call = Emu.CreateCall();

        var (status, body, _) = await Client.PlayAsync(call, "flat", """[{"type":"tts","text":"Hello"}]""");

        Assert.Equal(422, status);
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal("flat_media", error.GetProperty("code").GetString());
        Assert.Equal("play[0].params", error.GetProperty("attribute").GetString());
        Assert.Null(Emu.GetPlay(call, "flat"));
    }

    [Fact]
    public async Task The_flat_media_form_is_accepted_with_AcceptFlatMedia_and_still_sealed()
    {
        await using var emu = await CallingEmulator.StartAsync(new EmulatorOptions { AcceptFlatMedia = true });
        using var client = new EmulatorClient(emu);
        var call = emu.CreateCall();

        var flat = await client.PlayAsync(call, "flat", """
            [{"type":"tts","text":"Hello","voice":"Polly.Joanna"},{"type":"audio","url":"https://example.com/a.mp3"},{"type":"silence","duration":1},{"type":"ringtone","name":"us","duration":1}]
            """);
        var nested = await client.PlayAsync(call, "nested", Silence);
        var unknownKey = await client.PlayAsync(call, "bad", """[{"type":"tts","text":"Hello","colour":"red"}]""");
        var badValue = await client.PlayAsync(call, "bad", """[{"type":"silence","duration":0}]""");

        Assert.Equal(200, flat.Status);
        Assert.Equal("playing", emu.GetPlay(call, "flat")?.State);
        Assert.Equal(200, nested.Status);
        Assert.Equal(422, unknownKey.Status);
        Assert.Equal("play[0].colour", Assert.Single(unknownKey.Body.GetProperty("errors").EnumerateArray()).GetProperty("attribute").GetString());
        Assert.Equal(422, badValue.Status);
        Assert.Equal("play[0].duration", Assert.Single(badValue.Body.GetProperty("errors").EnumerateArray()).GetProperty("attribute").GetString());
    }

    [Fact]
    public async Task Dial_returns_an_answered_call_object_that_accepts_plays()
    {
        var (status, body, _) = await Client.PostAsync("""{"command":"dial","params":{"from":"+15551110000","to":"+15552220000","caller_id":"x","timeout":30}}""");

        Assert.Equal(200, status);
        var id = body.GetProperty("id").GetString()!;
        Assert.True(Guid.TryParse(id, out _));
        Assert.Equal("answered", body.GetProperty("status").GetString());
        Assert.Equal("+15552220000", body.GetProperty("to").GetString());
        Assert.Equal(200, (await Client.PlayAsync(id, "p")).Status);
    }

    [Fact]
    public async Task A_control_id_already_active_on_the_call_gets_422_already_active_and_is_reusable_once_ended()
    {
        var call = Emu.CreateCall();
        var other = Emu.CreateCall();
        Assert.Equal(200, (await Client.PlayAsync(call, "same")).Status);

        var again = await Client.PlayAsync(call, "same");
        var otherCall = await Client.PlayAsync(other, "same");
        await Client.ControlAsync(call, "calling.play.stop", "same");
        var reused = await Client.PlayAsync(call, "same");

        Assert.Equal(422, again.Status);
        var error = Assert.Single(again.Body.GetProperty("errors").EnumerateArray());
        Assert.Equal("already_active", error.GetProperty("code").GetString());
        Assert.Equal("control_id", error.GetProperty("attribute").GetString());
        Assert.Equal(200, otherCall.Status);
        Assert.Equal(200, reused.Status);
        Assert.Equal("playing", Emu.GetPlay(call, "same")?.State);
    }

    [Theory]
    [MemberData(nameof(DialectTests.ControlCommands), MemberType = typeof(DialectTests))]
    public async Task A_control_command_for_an_unknown_control_id_gets_422_not_found_not_404(string command, string extra)
    {
        var call = await NewCallPlayingAsync("known");

        var (status, body, _) = await Client.ControlAsync(call, command, "unknown", extra);

        Assert.Equal(422, status);
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal("not_found", error.GetProperty("code").GetString());
        Assert.Equal("control_id", error.GetProperty("attribute").GetString());
        Assert.Equal("playing", Emu.GetPlay(call, "known")?.State);
    }

    [Theory]
    [MemberData(nameof(DialectTests.ControlCommands), MemberType = typeof(DialectTests))]
    public async Task A_control_command_for_a_finished_play_gets_422_not_active(string command, string extra)
    {
        var call = await NewCallPlayingAsync("done");
        Assert.Equal(200, (await Client.ControlAsync(call, "calling.play.stop", "done")).Status);

        var (status, body, _) = await Client.ControlAsync(call, command, "done", extra);

        Assert.Equal(422, status);
        Assert.Equal("not_active", Assert.Single(body.GetProperty("errors").EnumerateArray()).GetProperty("code").GetString());
        Assert.Equal("finished", Emu.GetPlay(call, "done")?.State);
    }

    [Fact]
    public async Task Pause_resume_volume_and_stop_on_an_active_play_are_accepted_and_applied()
    {
        var call = Emu.CreateCall();
        await Client.PlayAsync(call, "p", """[{"type":"ringtone","params":{"name":"us"}}]""");

        var pause = await Client.ControlAsync(call, "calling.play.pause", "p");
        var paused = Emu.GetPlay(call, "p")!.State;
        var volume = await Client.ControlAsync(call, "calling.play.volume", "p", ",\"volume\":-12.5");
        var resume = await Client.ControlAsync(call, "calling.play.resume", "p");
        var resumed = Emu.GetPlay(call, "p")!;
        var stop = await Client.ControlAsync(call, "calling.play.stop", "p");

        Assert.Equal(new[] { 200, 200, 200, 200 }, new[] { pause.Status, volume.Status, resume.Status, stop.Status });
        Assert.Equal("paused", paused);
        Assert.Equal("playing", resumed.State);
        Assert.Equal(-12.5, resumed.Volume);
        Assert.Equal("finished", Emu.GetPlay(call, "p")!.State);
    }

    [Theory]
    [InlineData("calling.play")]
    [InlineData("calling.play.pause")]
    [InlineData("calling.play.resume")]
    [InlineData("calling.play.stop")]
    [InlineData("calling.play.volume")]
    [InlineData("end")]
    public async Task A_command_for_an_unknown_call_gets_404_Not_Found(string command)
    {
        var body = command switch
        {
            "calling.play" => """{"id":"no-such-call","command":"calling.play","params":{"control_id":"a","play":[{"type":"silence","params":{"duration":1}}]}}""",
            "calling.play.volume" => """{"id":"no-such-call","command":"calling.play.volume","params":{"control_id":"a","volume":1}}""",
            "end" => """{"id":"no-such-call","command":"end","params":{}}""",
            _ => $$$"""{"id":"no-such-call","command":"{{{command}}}","params":{"control_id":"a"}}""",
        };

        var (status, response, _) = await Client.PostAsync(body);

        Assert.Equal(404, status);
        Assert.Equal("""{"error":"Not Found"}""", response.GetRawText());
    }

    [Fact]
    public async Task After_EndCall_every_command_for_the_call_gets_404_and_its_plays_finish()
    {
        var call = Emu.CreateCall();
        await Client.PlayAsync(call, "p", """[{"type":"ringtone","params":{"name":"us"}}]""");

        Assert.True(Emu.EndCall(call));

        Assert.False(Emu.EndCall(call));
        Assert.Equal("finished", Emu.GetPlay(call, "p")?.State);
        Assert.Equal(404, (await Client.PlayAsync(call, "q")).Status);
        Assert.Equal(404, (await Client.ControlAsync(call, "calling.play.stop", "p")).Status);
        Assert.Equal(404, (await Client.EndAsync(call)).Status);
    }

    [Fact]
    public async Task After_the_end_command_every_command_for_the_call_gets_404_including_another_end()
    {
        var call = await Client.DialAsync();
        await Client.PlayAsync(call, "p", """[{"type":"ringtone","params":{"name":"us"}}]""");

        var (status, body, _) = await Client.EndAsync(call);

        Assert.Equal(200, status);
        Assert.Equal(call, body.GetProperty("id").GetString());
        Assert.Equal("finished", Emu.GetPlay(call, "p")?.State);
        Assert.Equal(404, (await Client.PlayAsync(call, "q")).Status);
        Assert.Equal(404, (await Client.ControlAsync(call, "calling.play.pause", "p")).Status);
        Assert.Equal(404, (await Client.EndAsync(call)).Status);
        Assert.False(Emu.EndCall(call));
    }

    [Fact]
    public async Task The_control_endpoints_create_list_and_end_calls()
    {
        using var content = new StringContent($$"""{"status_url":"{{Emu.BaseUrl}}ignored"}""", Encoding.UTF8, "application/json");
        var created = await Client.Http.PostAsync("/__emulator/calls", content);
        Assert.Equal(201, (int)created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await Client.PlayAsync(id, "p");

        var plays = JsonDocument.Parse(await Client.Http.GetStringAsync($"/__emulator/calls/{id}/plays")).RootElement;
        var ended = await Client.Http.DeleteAsync($"/__emulator/calls/{id}");
        var endedAgain = await Client.Http.DeleteAsync($"/__emulator/calls/{id}");

        var play = Assert.Single(plays.EnumerateArray());
        Assert.Equal("p", play.GetProperty("control_id").GetString());
        Assert.Equal("playing", play.GetProperty("state").GetString());
        Assert.Equal(204, (int)ended.StatusCode);
        Assert.Equal(404, (int)endedAgain.StatusCode);
        Assert.Equal(404, (await Client.PlayAsync(id, "q")).Status);
    }

    /// <summary>A new call with a play (the default media) started under the control id.</summary>
    private async Task<string> NewCallPlayingAsync(string controlId)
    {
        var call = Emu.CreateCall();
        await Client.PlayAsync(call, controlId);
        return call;
    }
}
