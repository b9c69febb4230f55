using System.Net;
using System.Text;

namespace Playback.Emulator.Tests;

/// <summary>Every command fault and webhook fault does what it says, set from code and over HTTP.</summary>
public sealed partial class FaultTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const string Long = """[{"type":"silence","params":{"duration":100000}}]""";

    [Fact]
    public async Task A_503_fault_answers_503_with_a_Retry_After_in_seconds_and_does_not_apply_the_command()
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", Status = 503, RetryAfterSeconds = 7 }] });

        var (status, body, response) = await client.PlayAsync(call, "p");

        Assert.Equal(503, status);
        Assert.Equal("Service Unavailable", body.GetProperty("error").GetString());
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Equal("7", Assert.Single(response.Headers.GetValues("Retry-After")));
        Assert.Null(emu.GetPlay(call, "p"));
        var journaled = emu.Journal.Requests.Single();
        Assert.Equal(503, journaled.Status);
        Assert.Equal("status 503", journaled.Fault);
        Assert.Equal(1, emu.Faults.Injected);
    }

    [Fact]
    public async Task A_429_fault_answers_with_a_Retry_After_HTTP_date()
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;
        var when = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Status = 429, RetryAfterDate = when }] });

        var (status, body, response) = await client.PlayAsync(call, "p");

        Assert.Equal(429, status);
        Assert.Equal("Too Many Requests", body.GetProperty("error").GetString());
        Assert.Equal(when, response.Headers.RetryAfter?.Date);
        Assert.Equal("Wed, 02 Jan 2030 01:04:05 GMT", Assert.Single(response.Headers.GetValues("Retry-After")));
    }

    [Theory]
    [InlineData(500, "Internal Server Error")]
    [InlineData(502, "Bad Gateway")]
    [InlineData(504, "Gateway Timeout")]
    public async Task A_server_error_fault_answers_that_status_without_Retry_After(int code, string reason)
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", Status = code }] });

        var (status, body, response) = await client.PlayAsync(call, "p");

        Assert.Equal(code, status);
        Assert.Equal(reason, body.GetProperty("error").GetString());
        Assert.Null(response.Headers.RetryAfter);
        Assert.Null(emu.GetPlay(call, "p"));
    }

    [Fact]
    public async Task First_2_fails_exactly_the_first_two_matching_requests()
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", Status = 503, First = 2 }] });

        var dial = await client.DialAsync();
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await client.PlayAsync(call, $"p{i}")).Status);
        }

        Assert.Equal(new[] { 503, 503, 200, 200 }, statuses);
        Assert.Null(emu.GetPlay(call, "p0"));
        Assert.Null(emu.GetPlay(call, "p1"));
        Assert.Equal("playing", emu.GetPlay(call, "p2")?.State);
        Assert.Equal(2, emu.Faults.Injected);
        Assert.Equal(new[] { 200, 503, 503, 200, 200 }, emu.Journal.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task A_probability_with_a_seed_gives_the_same_sequence_for_the_same_seed_and_another_for_another_seed()
    {
        var first = await ProbabilitySequenceAsync(seed: 42);
        var again = await ProbabilitySequenceAsync(seed: 42);
        var other = await ProbabilitySequenceAsync(seed: 7);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Contains(503, first);
        Assert.Contains(404, first);
        Assert.All(first.Concat(other), s => Assert.True(s is 503 or 404, $"unexpected status {s}"));
    }

    [Fact]
    public async Task Setting_the_plan_again_resets_its_counters_and_random_generator()
    {
        await using var emu = await CallingEmulator.StartAsync(new EmulatorOptions { Seed = 3 });
        using var client = new EmulatorClient(emu);
        var plan = new FaultPlan { Commands = [new CommandFaultRule { Probability = 0.5, Status = 503 }], Seed = 11 };

        emu.Faults.Set(plan);
        var first = await StatusesAsync(client, 16);
        emu.Faults.Set(plan);
        var second = await StatusesAsync(client, 16);

        Assert.Equal(first, second);
        Assert.Contains(503, first);
        Assert.Contains(404, first);
    }

    [Fact]
    public async Task Latency_holds_the_answer_until_the_emulator_clock_has_advanced()
    {
        await using var rig = await EmulatorRig.StartAsync();
        var (emu, client, clock) = rig;
        var slowCall = emu.CreateCall();
        var fastCall = emu.CreateCall();
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", LatencyMs = 5000, First = 1 }] });

        var slow = client.PlayAsync(slowCall, "slow");
        await EventuallyAsync(() => emu.Faults.Injected == 1);
        var fast = await client.PlayAsync(fastCall, "fast");

        Assert.Equal(200, fast.Status);
        Assert.False(slow.IsCompleted);
        Assert.DoesNotContain(emu.Journal.Requests, r => r.CallId == slowCall);
        await clock.AdvanceWhenTimerAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(200, (await slow.WaitAsync(Patience)).Status);
        Assert.Equal("playing", emu.GetPlay(slowCall, "slow")?.State);
        Assert.Equal(new[] { fastCall, slowCall }, emu.Journal.Requests.Select(r => r.CallId));
        Assert.Equal(new[] { null, "latency 5000 ms" }, emu.Journal.Requests.Select(r => r.Fault));
    }

    [Fact]
    public async Task Latency_combined_with_a_status_waits_then_fails()
    {
        await using var rig = await EmulatorRig.StartAsync();
        var (emu, client, clock) = rig;
        var call = emu.CreateCall();
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { LatencyMs = 2000, Status = 502 }] });

        var pending = client.PlayAsync(call, "p");
        await EventuallyAsync(() => emu.Faults.Injected == 1);
        Assert.False(pending.IsCompleted);
        await clock.AdvanceWhenTimerAsync(TimeSpan.FromSeconds(2));

        Assert.Equal(502, (await pending.WaitAsync(Patience)).Status);
        Assert.Equal("status 502, latency 2000 ms", emu.Journal.Requests.Single().Fault);
    }

    [Fact]
    public async Task DropConnection_aborts_the_connection_without_applying_and_journals_status_0()
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", DropConnection = true }] });

        await Assert.ThrowsAsync<HttpRequestException>(() => client.PlayAsync(call, "p"));

        Assert.Null(emu.GetPlay(call, "p"));
        var plays = emu.Journal.Requests.Where(r => r.Command == "calling.play").ToList();
        Assert.NotEmpty(plays);
        Assert.All(plays, r =>
        {
            Assert.Equal(0, r.Status);
            Assert.Equal("drop", r.Fault);
        });
        emu.Faults.Clear();
        Assert.Equal(200, (await client.PlayAsync(call, "p")).Status);
    }

    [Fact]
    public async Task AfterApply_answers_503_although_the_play_started_so_a_repeat_gets_422_already_active()
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play", Status = 503, AfterApply = true, First = 1 }] });

        var first = await client.PlayAsync(call, "p");
        var state = emu.GetPlay(call, "p")?.State;
        var repeat = await client.PlayAsync(call, "p");

        Assert.Equal(503, first.Status);
        Assert.Equal("playing", state);
        Assert.Equal(422, repeat.Status);
        Assert.Equal("already_active", repeat.Body.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Equal("status 503, after apply", emu.Journal.Requests[0].Fault);
    }

    [Fact]
    public async Task AfterApply_with_DropConnection_applies_the_stop_then_aborts()
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;
        await client.PlayAsync(call, "p", Long);
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play.stop", DropConnection = true, AfterApply = true, First = 1 }] });

        // A fresh connection: a client may transparently retry a request whose reused connection closed before any answer.
        using var fresh = new EmulatorClient(emu);
        await Assert.ThrowsAsync<HttpRequestException>(() => fresh.ControlAsync(call, "calling.play.stop", "p"));

        Assert.Equal("finished", emu.GetPlay(call, "p")?.State);
        Assert.Equal((0, "drop, after apply"), (emu.Journal.Requests[^1].Status, emu.Journal.Requests[^1].Fault));
    }

    [Fact]
    public async Task A_rule_for_one_command_leaves_the_other_commands_alone()
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play.pause", Status = 500 }] });

        var play = await client.PlayAsync(call, "p", Long);
        var pause = await client.ControlAsync(call, "calling.play.pause", "p");
        var state = emu.GetPlay(call, "p")?.State;
        var volume = await client.ControlAsync(call, "calling.play.volume", "p", ",\"volume\":2");
        var stop = await client.ControlAsync(call, "calling.play.stop", "p");

        Assert.Equal(new[] { 200, 500, 200, 200 }, new[] { play.Status, pause.Status, volume.Status, stop.Status });
        Assert.Equal("playing", state);
        Assert.Equal("finished", emu.GetPlay(call, "p")?.State);
    }

    [Fact]
    public async Task A_rule_for_one_call_leaves_the_other_calls_alone()
    {
        await using var emu = await CallingEmulator.StartAsync();
        using var client = new EmulatorClient(emu);
        var bad = emu.CreateCall();
        var good = emu.CreateCall();
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "*", CallId = bad, Status = 503 }] });

        Assert.Equal(503, (await client.PlayAsync(bad, "p")).Status);
        Assert.Equal(503, (await client.EndAsync(bad)).Status);
        Assert.Equal(200, (await client.PlayAsync(good, "p")).Status);
        Assert.Equal(200, (await client.ControlAsync(good, "calling.play.stop", "p")).Status);
        Assert.Empty(emu.GetPlays(bad));
    }

    [Fact]
    public async Task Invalid_requests_are_answered_422_rather_than_faulted()
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Status = 503 }] });

        Assert.Equal(422, (await client.PlayAsync(call, "p", "[]")).Status);
        Assert.Equal(0, emu.Faults.Injected);
    }

    [Fact]
    public async Task Faults_are_set_and_cleared_over_HTTP_with_snake_case_JSON()
    {
        await using var session = await EmulatorSession.StartAsync();
        var (emu, client, call) = session;

        var put = await PutFaultsAsync(client, """{"commands":[{"command":"calling.play","status":503,"first":1,"retry_after_seconds":2}]}""");
        var failed = await client.PlayAsync(call, "p");
        var passed = await client.PlayAsync(call, "p");
        var plan = await client.Http.GetStringAsync("/__emulator/faults");
        var putAlways = await PutFaultsAsync(client, """{"commands":[{"command":"calling.play","status":500}],"webhooks":[{"kind":"dead_url"},{"kind":"Duplicate","state":"finished","delay_ms":5}]}""");
        var always = emu.Faults.Plan;
        var delete = await client.Http.DeleteAsync("/__emulator/faults");
        var afterDelete = await client.PlayAsync(call, "q");

        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal(503, failed.Status);
        Assert.Equal(TimeSpan.FromSeconds(2), failed.Response.Headers.RetryAfter?.Delta);
        Assert.Equal(200, passed.Status);
        Assert.Contains("\"injected\":1", plan, StringComparison.Ordinal);
        Assert.Contains("\"retry_after_seconds\":2", plan, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, putAlways.StatusCode);
        Assert.Equal(new[] { WebhookFaultKind.DeadUrl, WebhookFaultKind.Duplicate }, always.Webhooks.Select(w => w.Kind));
        Assert.Equal(5, always.Webhooks[1].DelayMs);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Empty(emu.Faults.Plan.Commands);
        Assert.Empty(emu.Faults.Plan.Webhooks);
        Assert.Equal(200, afterDelete.Status);
    }

    [Theory]
    [InlineData("""{"commands":[{"status":503,"probability":1.5}]}""")]
    [InlineData("""{"commands":[{"status":99}]}""")]
    [InlineData("""{"commands":[{"status":"soon"}]}""")]
    [InlineData("""{"webhooks":[{"kind":"explode"}]}""")]
    [InlineData("""{"commands":""")]
    public async Task A_bad_fault_plan_over_HTTP_gets_400_and_changes_nothing(string json)
    {
        await using var emu = await CallingEmulator.StartAsync();
        using var client = new EmulatorClient(emu);
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "end", Status = 500 }] });

        var response = await PutFaultsAsync(client, json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("end", Assert.Single(emu.Faults.Plan.Commands).Command);
    }

    private static async Task<int[]> ProbabilitySequenceAsync(int seed)
    {
        await using var emu = await CallingEmulator.StartAsync(new EmulatorOptions { Seed = seed });
        using var client = new EmulatorClient(emu);
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play.pause", Probability = 0.5, Status = 503 }] });
        return await StatusesAsync(client, 24);
    }

    /// <summary>Pauses on an unknown call: 404 when the fault does not fire, 503 when it does.</summary>
    private static async Task<int[]> StatusesAsync(EmulatorClient client, int count)
    {
        var statuses = new int[count];
        for (var i = 0; i < count; i++)
        {
            statuses[i] = (await client.ControlAsync("no-such-call", "calling.play.pause", "p")).Status;
        }

        return statuses;
    }

    private static async Task<HttpResponseMessage> PutFaultsAsync(EmulatorClient client, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await client.Http.PutAsync("/__emulator/faults", content);
    }

    /// <summary>Waits (polling, bounded) for a condition that other threads make true.</summary>
    internal static Task EventuallyAsync(Func<bool> condition, string what = "the condition") => Eventually.TrueAsync(condition, what, Patience);
}
