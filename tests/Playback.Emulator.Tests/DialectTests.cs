using System.Text.Json;

namespace Playback.Emulator.Tests;

/// <summary>
/// The two dialects over real HTTP: how a control id in use, an unknown or ended control id and a reused control id are
/// answered, the knobs of a custom variant, and the "apply, then drop the answer" fault in both.
/// </summary>
public sealed class DialectTests
{
    private const string Long = """[{"type":"silence","params":{"duration":100000}}]""";

    public static TheoryData<string> Dialects => new() { "reference", "independent" };

    public static TheoryData<string, string> ControlCommands => new()
    {
        { "calling.play.pause", "" },
        { "calling.play.resume", "" },
        { "calling.play.stop", "" },
        { "calling.play.volume", ",\"volume\":3" },
    };

    public static TheoryData<string, string, string> ControlCommandsInBothDialects
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var dialect in new[] { "reference", "independent" })
            {
                foreach (var row in ControlCommands)
                {
                    data.Add(dialect, (string)row[0], (string)row[1]);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_play_on_an_active_control_id_is_refused_in_the_dialects_wording_and_leaves_the_play_alone(string dialect)
    {
        await using var session = await OpenAsync(dialect);
        var (emu, client, call) = session;
        Assert.Equal(200, (await client.PlayAsync(call, "same", Long)).Status);

        var (status, body, _) = await client.PlayAsync(call, "same");

        Assert.Equal(422, status);
        AssertConflict(dialect, body, "same");
        Assert.Equal("playing", Assert.Single(emu.GetPlays(call)).State);
    }

    [Fact]
    public async Task The_independent_conflict_is_exactly_one_request_error_E1017_without_attribute()
    {
        await using var session = await OpenAsync("independent");
        var (emu, client, call) = session;
        await client.PlayAsync(call, "p", Long);

        var (_, body, response) = await client.PlayAsync(call, "p");

        Assert.Equal("""{"errors":[{"type":"request_error","code":"E1017","message":"Play with this identifier exists"}]}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
    }

    [Theory]
    [InlineData("reference", 200, "playing")]
    [InlineData("independent", 422, "finished")]
    public async Task An_ended_control_id_is_reusable_only_where_the_dialect_allows_it(string dialect, int expectedStatus, string expectedState)
    {
        await using var session = await OpenAsync(dialect);
        var (emu, client, call) = session;
        await client.PlayAsync(call, "once", Long);
        Assert.Equal(200, (await client.ControlAsync(call, "calling.play.stop", "once")).Status);

        var (status, body, _) = await client.PlayAsync(call, "once", Long);

        Assert.Equal(expectedStatus, status);
        if (status == 422)
        {
            AssertConflict(dialect, body, "once");
        }

        Assert.Equal(expectedState, Assert.Single(emu.GetPlays(call)).State);
    }

    [Theory]
    [MemberData(nameof(ControlCommandsInBothDialects))]
    public async Task A_control_command_for_an_unknown_control_id_on_a_live_call_gets_the_dialects_answer_and_changes_nothing(string dialect, string command, string extra)
    {
        await using var session = await OpenAsync(dialect, "known");
        var (emu, client, call) = session;

        var (status, body, _) = await client.ControlAsync(call, command, "unknown", extra);

        AssertInactive(dialect, status, body, "not_found");
        Assert.Equal("playing", emu.GetPlay(call, "known")?.State);
        Assert.Null(emu.GetPlay(call, "unknown"));
        Assert.Equal(200, (await client.PlayAsync(call, "next", Long)).Status);
    }

    [Theory]
    [MemberData(nameof(ControlCommandsInBothDialects))]
    public async Task A_control_command_for_an_ended_control_id_on_a_live_call_gets_the_dialects_answer(string dialect, string command, string extra)
    {
        await using var session = await OpenAsync(dialect, "done", "other");
        var (emu, client, call) = session;
        Assert.Equal(200, (await client.ControlAsync(call, "calling.play.stop", "done")).Status);

        var (status, body, _) = await client.ControlAsync(call, command, "done", extra);

        AssertInactive(dialect, status, body, "not_active");
        Assert.Equal("finished", emu.GetPlay(call, "done")?.State);
        Assert.Equal("playing", emu.GetPlay(call, "other")?.State);
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_play_applied_with_its_answer_dropped_is_playing_and_its_retry_gets_the_dialects_conflict(string dialect)
    {
        await using var session = await OpenAsync(dialect);
        var (emu, client, call) = session;
        var state = await StateAfterAnswerDroppedAsync(session, "calling.play", fresh => fresh.PlayAsync(call, "p", Long));
        var (status, body, _) = await client.PlayAsync(call, "p", Long);

        Assert.Equal("playing", state);
        Assert.Equal(422, status);
        AssertConflict(dialect, body, "p");
        Assert.Equal([(0, "drop, after apply"), (422, null)], emu.Journal.Requests.Select(r => (r.Status, r.Fault)));
        Assert.Equal("playing", Assert.Single(emu.GetPlays(call)).State);
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_stop_applied_with_its_answer_dropped_ended_the_play_and_its_retry_gets_the_dialects_inactive_answer(string dialect)
    {
        await using var session = await OpenAsync(dialect);
        var (emu, client, call) = session;
        await client.PlayAsync(call, "p", Long);
        var state = await StateAfterAnswerDroppedAsync(session, "calling.play.stop", fresh => fresh.ControlAsync(call, "calling.play.stop", "p"));
        var (status, body, _) = await client.ControlAsync(call, "calling.play.stop", "p");

        Assert.Equal("finished", state);
        AssertInactive(dialect, status, body, "not_active");
        Assert.Equal(200, (await client.PlayAsync(call, "after", Long)).Status);
    }

    [Fact]
    public async Task Each_knob_of_a_custom_dialect_is_applied()
    {
        var dialect = EmulatorDialect.Reference with
        {
            ConflictStatus = 409,
            ConflictType = "conflict",
            ConflictCode = "in_use",
            ConflictMessage = "id " + EmulatorDialect.ControlIdPlaceholder + " is busy",
            ConflictNamesAttribute = true,
            InactiveControlStatus = 404,
            ReuseEndedControlIds = false,
        };
        await using var emu = await CallingEmulator.StartAsync(new EmulatorOptions { Dialect = dialect });
        using var client = new EmulatorClient(emu);
        var call = emu.CreateCall();
        await client.PlayAsync(call, "a", Long);

        var conflict = await client.PlayAsync(call, "a");
        var unknown = await client.ControlAsync(call, "calling.play.pause", "b");
        await client.ControlAsync(call, "calling.play.stop", "a");
        var reused = await client.PlayAsync(call, "a");

        Assert.Equal(409, conflict.Status);
        var error = Assert.Single(conflict.Body.GetProperty("errors").EnumerateArray());
        Assert.Equal(("conflict", "in_use", "id a is busy", "control_id"), (Str(error, "type"), Str(error, "code"), Str(error, "message"), Str(error, "attribute")));
        Assert.Equal(404, unknown.Status);
        Assert.Equal(409, reused.Status);
        Assert.Equal("custom", dialect.Describe());
    }

    [Theory]
    [InlineData(500, 422)]
    [InlineData(200, 422)]
    [InlineData(404, 200)]
    [InlineData(404, 503)]
    public async Task A_dialect_with_an_out_of_range_status_is_rejected_at_start(int inactiveStatus, int conflictStatus)
    {
        var options = new EmulatorOptions { Dialect = EmulatorDialect.Reference with { InactiveControlStatus = inactiveStatus, ConflictStatus = conflictStatus } };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => CallingEmulator.StartAsync(options));
    }

    [Fact]
    public void The_presets_are_found_by_name_and_describe_themselves()
    {
        Assert.Same(EmulatorDialect.Reference, EmulatorDialect.FromName("reference"));
        Assert.Same(EmulatorDialect.Independent, EmulatorDialect.FromName("INDEPENDENT"));
        Assert.Equal(("reference", "independent"), (EmulatorDialect.Reference.Describe(), EmulatorDialect.Independent.Describe()));
        Assert.Equal("reference", (EmulatorDialect.Independent with { ConflictType = "validation_error", ConflictCode = "already_active", ConflictMessage = EmulatorDialect.Reference.ConflictMessage, ConflictNamesAttribute = true, InactiveControlStatus = 422, ReuseEndedControlIds = true }).Describe());
        Assert.Same(EmulatorDialect.Reference, new EmulatorOptions().Dialect);
        Assert.Throws<ArgumentException>(() => EmulatorDialect.FromName("signalwire"));
    }

    /// <summary>An emulator in the dialect, a client of it and one live call, with a long play started under each of the control ids.</summary>
    private static async Task<EmulatorSession> OpenAsync(string dialect, params string[] playing)
    {
        var session = new EmulatorSession(await StartAsync(dialect));
        foreach (var controlId in playing)
        {
            await session.Client.PlayAsync(session.Call, controlId, Long);
        }

        return session;
    }

    /// <summary>Sends the command on a fresh connection that the emulator drops after applying it (the caller sees
    /// the connection fail), and returns the state control id "p" was left in.</summary>
    private static async Task<string?> StateAfterAnswerDroppedAsync(EmulatorSession session, string command, Func<EmulatorClient, Task> send)
    {
        session.Emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = command, DropConnection = true, AfterApply = true, First = 1 }] });
        using (var fresh = new EmulatorClient(session.Emu))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => send(fresh));
        }

        return session.Emu.GetPlay(session.Call, "p")?.State;
    }

    private static Task<CallingEmulator> StartAsync(string dialect) => CallingEmulator.StartAsync(new EmulatorOptions { Dialect = EmulatorDialect.FromName(dialect) });

    /// <summary>The conflict answer of each preset, in full.</summary>
    private static void AssertConflict(string dialect, JsonElement body, string controlId)
    {
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        if (dialect == "reference")
        {
            Assert.Equal(("validation_error", "already_active", $"control_id {controlId} is already active on this call", "control_id"), (Str(error, "type"), Str(error, "code"), Str(error, "message"), Str(error, "attribute")));
        }
        else
        {
            Assert.Equal(("request_error", "E1017", "Play with this identifier exists"), (Str(error, "type"), Str(error, "code"), Str(error, "message")));
            Assert.False(error.TryGetProperty("attribute", out _), "the independent conflict names no attribute");
        }
    }

    /// <summary>The answer to a control command for an unknown or ended control id on a live call.</summary>
    private static void AssertInactive(string dialect, int status, JsonElement body, string referenceCode)
    {
        if (dialect == "reference")
        {
            Assert.Equal(422, status);
            var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
            Assert.Equal((referenceCode, "control_id"), (Str(error, "code"), Str(error, "attribute")));
        }
        else
        {
            Assert.Equal(404, status);
            Assert.Equal("Not Found", Str(body, "error"));
            Assert.False(body.TryGetProperty("errors", out _));
        }
    }

    private static string? Str(JsonElement e, string name) => e.GetProperty(name).GetString();
}
