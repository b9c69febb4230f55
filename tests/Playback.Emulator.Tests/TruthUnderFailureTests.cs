using Akka.TestKit.Xunit2;
using Xunit.Abstractions;

namespace Playback.Emulator.Tests;

/// <summary>
/// The truth-under-failure invariant end to end, in both emulator dialects (the emulator's own wording, and another
/// server's: other 422 codes without <c>attribute</c>, 404 for an unknown or ended control id, no reuse of control ids):
/// after a short settle time, what Playback reports about a playback is what the server plays, whatever went wrong.
/// </summary>
public sealed class TruthUnderFailureTests(ITestOutputHelper output) : TestKit("akka.loglevel = WARNING", output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static TheoryData<string> Dialects => new() { "reference", "independent" };

    /// <summary>Each dialect with what happens to the play's webhooks: delivered, lost, duplicated or reordered.</summary>
    public static TheoryData<string, string> DialectsAndWebhookFaults
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var dialect in new[] { "reference", "independent" })
            {
                foreach (var fault in new[] { "none", "lost", "duplicated", "reordered" })
                {
                    data.Add(dialect, fault);
                }
            }

            return data;
        }
    }

    public static TheoryData<string, string> DialectsAndControls
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var dialect in new[] { "reference", "independent" })
            {
                foreach (var command in new[] { CallingApi.Commands.Pause, CallingApi.Commands.Resume, CallingApi.Commands.Volume, CallingApi.Commands.Stop })
                {
                    data.Add(dialect, command);
                }
            }

            return data;
        }
    }

    // ───────────────────────── 1. A play whose answer was lost ─────────────────────────

    [Theory]
    [MemberData(nameof(DialectsAndWebhookFaults))]
    public async Task A_play_applied_but_unanswered_is_never_reported_failed_while_it_plays(string dialect, string webhooks)
    {
        var webhooksLost = webhooks == "lost";
        await using var connection = await ConnectAsync(dialect);
        var (emulator, listener, playback) = connection;
        var callId = emulator.CreateCall(listener.Url);
        emulator.Faults.Set(new FaultPlan
        {
            Commands = [new CommandFaultRule { Command = CallingApi.Commands.Play, AfterApply = true, DropConnection = true, First = 1 }],
            Webhooks = webhooks switch
            {
                "lost" => [new WebhookFaultRule { Kind = WebhookFaultKind.Drop, State = "playing" }],
                "duplicated" => [new WebhookFaultRule { Kind = WebhookFaultKind.Duplicate }],
                "reordered" => [new WebhookFaultRule { Kind = WebhookFaultKind.Reorder, DelayMs = 300 }],
                _ => [],
            },
        });

        var outcome = await Outcome(playback.PlayAsync(callId, [Media.Ringtone("us")], new PlayOptions { ControlId = "ghost" }));

        await AssertAgreesAsync(emulator, playback, callId, "ghost");
        Assert.Equal(1, emulator.Journal.Requests.Count(r => r.Command == CallingApi.Commands.Play && r.Status is 200 or 0));
        if (webhooksLost && dialect == "independent")
        {
            // No evidence and a refusal that names nothing: Playback stopped it before it reported the failure.
            var error = Assert.IsAssignableFrom<CallingApiException>(outcome);
            Assert.True(error.MayHaveBeenApplied);
            Assert.Equal("finished", emulator.GetPlay(callId, "ghost")!.State);
        }
        else if (webhooksLost)
        {
            // The retry was refused naming control_id: it landed, and it is playing.
            Assert.Null(outcome);
            Assert.Equal("playing", emulator.GetPlay(callId, "ghost")!.State);
            Assert.Equal(PlaybackState.Playing, Assert.Single(playback.Snapshot(callId)).State);
        }
        else
        {
            // Its playing webhook proves it landed, unless the retry's refusal overtook the webhook: then it was stopped
            // first. Either way the caller's outcome says which.
            Assert.Equal(outcome is null ? "playing" : "finished", emulator.GetPlay(callId, "ghost")!.State);
        }
    }

    // ───────────────────────── 5. Lost answers on every control command ─────────────────────────

    [Theory]
    [MemberData(nameof(DialectsAndControls))]
    public async Task A_control_command_applied_but_unanswered_ends_as_the_server_has_it(string dialect, string command)
    {
        await using var connection = await ConnectAsync(dialect);
        var (emulator, listener, playback) = connection;
        var callId = emulator.CreateCall(listener.Url);
        var handle = await playback.PlayAsync(callId, [Media.Ringtone("us")]);
        if (command == CallingApi.Commands.Resume)
        {
            await handle.PauseAsync();
        }

        emulator.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = command, AfterApply = true, DropConnection = true, First = 1 }] });

        var snapshot = await (command switch
        {
            CallingApi.Commands.Pause => handle.PauseAsync(),
            CallingApi.Commands.Resume => handle.ResumeAsync(),
            CallingApi.Commands.Volume => handle.SetVolumeAsync(7),
            _ => handle.StopAsync(),
        });

        var expected = command switch
        {
            CallingApi.Commands.Pause => PlaybackState.Paused,
            CallingApi.Commands.Stop => PlaybackState.Stopped,
            _ => PlaybackState.Playing,
        };
        Assert.Equal(expected, snapshot.State);
        await AssertAgreesAsync(emulator, playback, callId, handle.ControlId);
        if (command == CallingApi.Commands.Volume)
        {
            Assert.Equal(7, snapshot.Volume);
            Assert.Equal(7, emulator.GetPlay(callId, handle.ControlId)!.Volume);
        }

        if (command == CallingApi.Commands.Stop)
        {
            Assert.Equal(PlaybackState.Stopped, (await handle.Completion.WaitAsync(Patience)).State);
        }
    }

    // ───────────────────────── 4. A play that ended unnoticed, then a control command ─────────────────────────

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_stop_for_a_play_that_ended_without_its_webhook_ends_stopped_at_once(string dialect)
    {
        await using var connection = await ConnectAsync(dialect);
        var (emulator, listener, playback) = connection;
        var (callId, handle) = await EndedUnnoticedAsync(emulator, playback, listener);

        var stopped = await handle.StopAsync();

        Assert.Equal(PlaybackState.Stopped, stopped.State);
        Assert.Equal(PlaybackState.Stopped, (await handle.Completion.WaitAsync(Patience)).State);
        await AssertAgreesAsync(emulator, playback, callId, handle.ControlId);
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_pause_for_a_play_that_ended_without_its_webhook_never_ends_the_call(string dialect)
    {
        await using var connection = await ConnectAsync(dialect, statusTimeout: TimeSpan.FromSeconds(3));
        var (emulator, listener, playback) = connection;
        var (callId, handle) = await EndedUnnoticedAsync(emulator, playback, listener);
        var next = await playback.PlayAsync(callId, [Media.Ringtone("us")], new PlayOptions { ControlId = "next" });
        Assert.Equal(PlaybackState.Queued, next.Current);

        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => handle.PauseAsync());

        Assert.IsNotType<CallGoneException>(error);
        if (dialect == "independent")
        {
            // 404: the server no longer knows that control id; that playback ends, the call goes on.
            Assert.Equal(404, error.StatusCode);
            Assert.Equal(PlaybackState.Failed, (await handle.Completion.WaitAsync(Patience)).State);
        }
        else
        {
            // 422: nothing certain (its wording is not read); the watchdog settles it.
            Assert.Equal(422, error.StatusCode);
            var outcome = await handle.Completion.WaitAsync(Patience);
            Assert.Equal(PlaybackState.Failed, outcome.State);
            Assert.Equal("no status received", outcome.Reason);
        }

        await AwaitAssertAsync(() => Assert.Equal(PlaybackState.Playing, next.Current), Patience);
        Assert.Equal("playing", emulator.GetPlay(callId, "next")!.State);
        await AssertAgreesAsync(emulator, playback, callId, handle.ControlId);
        await AssertAgreesAsync(emulator, playback, callId, "next");
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task Only_a_404_on_a_play_ends_the_call(string dialect)
    {
        await using var connection = await ConnectAsync(dialect);
        var (emulator, listener, playback) = connection;
        var callId = emulator.CreateCall(listener.Url);
        var handle = await playback.PlayAsync(callId, [Media.Ringtone("us")]);
        emulator.Faults.Set(new FaultPlan { Webhooks = [new WebhookFaultRule { Kind = WebhookFaultKind.Drop }] });
        emulator.EndCall(callId);

        var paused = await Assert.ThrowsAnyAsync<CallingApiException>(() => handle.PauseAsync());
        Assert.IsNotType<CallGoneException>(paused);
        Assert.Equal(PlaybackState.Failed, (await handle.Completion.WaitAsync(Patience)).State);
        var gone = await Assert.ThrowsAsync<CallGoneException>(() => playback.PlayAsync(callId, [Media.Tts("anyone there?")]));

        Assert.Equal(404, gone.StatusCode);
        Assert.Empty(playback.Snapshot(callId));
    }

    // ───────────────────────── helpers ─────────────────────────

    /// <summary>On a new call, starts a short play whose <c>finished</c> webhook is lost, and waits until the server has ended it.</summary>
    private async Task<(string CallId, PlaybackHandle Handle)> EndedUnnoticedAsync(CallingEmulator emulator, PlaybackManager playback, PlaybackWebhookListener listener)
    {
        var callId = emulator.CreateCall(listener.Url);
        emulator.Faults.Set(new FaultPlan { Webhooks = [new WebhookFaultRule { Kind = WebhookFaultKind.Drop, State = "finished" }] });
        var handle = await playback.PlayAsync(callId, [Media.Silence(1)]);
        await AwaitAssertAsync(() => Assert.Equal("finished", emulator.GetPlay(callId, handle.ControlId)?.State), Patience);
        Assert.Equal(PlaybackState.Playing, handle.Current);
        emulator.Faults.Clear();
        return (callId, handle);
    }

    /// <summary>
    /// The invariant for one control id, after a short settle time: Playback's live states are live on the server, and
    /// nothing Playback reports ended is live there.
    /// </summary>
    private async Task AssertAgreesAsync(CallingEmulator emulator, PlaybackManager playback, string callId, string controlId) =>
        await AwaitAssertAsync(
            () =>
            {
                var server = emulator.GetPlay(callId, controlId)?.State;
                var live = playback.Snapshot(callId).FirstOrDefault(s => s.ControlId == controlId);
                var serverLive = server is "playing" or "paused";
                if (live is { State: PlaybackState.Playing or PlaybackState.Paused })
                {
                    Assert.True(serverLive, $"Playback reports {controlId} {live.State} ({live.Reason}); the server has it {server ?? "absent"}");
                    Assert.Equal(live.State == PlaybackState.Paused ? "paused" : "playing", server);
                }
                else
                {
                    Assert.False(serverLive, $"Playback reports {controlId} ended or unknown; the server has it {server}");
                }
            },
            Patience);

    private static Task<CallingEmulator> StartEmulatorAsync(string dialect) =>
        CallingEmulator.StartAsync(new EmulatorOptions { Speed = 20, Dialect = EmulatorDialect.FromName(dialect) });

    private static async Task<Exception?> Outcome(Task task)
    {
        try
        {
            await task.WaitAsync(Patience);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>An emulator in the dialect, a webhook listener, and a Playback manager connected to both.</summary>
    private async Task<PlaybackConnection> ConnectAsync(string dialect, TimeSpan? statusTimeout = null)
    {
        var emulator = await StartEmulatorAsync(dialect);
        var listener = await PlaybackWebhookListener.StartAsync();
        return new PlaybackConnection(emulator, listener, Connect(emulator, listener, statusTimeout));
    }

    private PlaybackManager Connect(CallingEmulator emulator, PlaybackWebhookListener listener, TimeSpan? statusTimeout = null)
    {
        var manager = PlaybackManager.Create(Sys, EndToEndTests.Settings(emulator, listener) with
        {
            StatusTimeout = statusTimeout ?? TimeSpan.FromMinutes(10),
            Resilience = new ResilienceSettings { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) },
        });
        listener.Manager = manager;
        return manager;
    }
}
