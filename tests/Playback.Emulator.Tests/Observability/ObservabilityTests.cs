using System.Diagnostics;
using Playback.Testing;
using Akka.TestKit.Xunit2;
using Xunit.Abstractions;

namespace Playback.Emulator.Tests.Observability;

/// <summary>
/// Playback's metrics, traces and logs against the emulator over real HTTP: the counts agree with the emulator's journal
/// and with what the callers got, the caller's trace reaches the API in <c>traceparent</c>, and no tag holds a secret or an id.
/// </summary>
public sealed class ObservabilityTests(ITestOutputHelper output) : TestKit("akka.loglevel = WARNING", output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly ActivitySource CallerSource = new("Playback.Tests.Caller");

    [Fact]
    public async Task A_normal_run_counts_every_command_and_request_and_the_api_sees_the_callers_trace()
    {
        using var telemetry = new TelemetryCapture();
        var outgoing = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var callerListener = ListenToCallerAndHttp(outgoing);
        await using var connection = await ConnectAsync(telemetry);
        var (emulator, listener, playback) = connection;
        var callId = emulator.CreateCall(listener.Url);

        using var caller = CallerSource.StartActivity("caller")!;
        var handle = await playback.PlayAsync(callId, [Media.Ringtone("us")]);
        await listener.WaitForAsync(1, Patience);
        await handle.PauseAsync();
        await handle.ResumeAsync();
        await handle.SetVolumeAsync(3);
        await Assert.ThrowsAsync<ArgumentException>(() => handle.SetVolumeAsync(99));
        await handle.StopAsync();
        await Assert.ThrowsAsync<PlaybackStateException>(() => handle.PauseAsync());
        caller.Stop();
        Assert.Equal(PlaybackState.Stopped, (await handle.Completion.WaitAsync(Patience)).State);
        await listener.WaitForAsync(2, Patience);

        Assert.Equal(
            ["play success", "pause success", "resume success", "volume success", "volume invalid", "stop success", "pause state_error"],
            telemetry.Of("playback.commands").Select(m => $"{m.Tag("playback.command")} {m.Tag("playback.outcome")}"));
        Assert.Equal(7, telemetry.Of("playback.command.duration").Count);
        TelemetryAssert.RequestsMatchJournal(telemetry, emulator);
        Assert.Equal(5, emulator.Journal.Requests.Count);
        Assert.Equal(0, telemetry.Sum("playback.api.retries"));
        Assert.Equal(5, telemetry.Of("playback.api.rate_limited").Count);
        await AwaitAssertAsync(() => Assert.Equal(0, telemetry.Sum("playback.playbacks.active")), Patience);
        Assert.Contains(telemetry.Of("playback.playbacks.active"), m => m.Value == 1);
        Assert.Equal(playback.Statistics.ActiveCalls, telemetry.Sum("playback.calls.active"));
        await AwaitAssertAsync(() => TelemetryAssert.WebhooksMatchListener(telemetry, listener), Patience);

        // One activity per command, children of the caller's, tagged with the ids and the outcome.
        var commands = telemetry.Activities.Where(a => a.TraceId == caller.TraceId && a.Source.Name == PlaybackDiagnostics.ActivitySourceName).ToList();
        Assert.Equal(
            ["playback.play", "playback.pause", "playback.resume", "playback.volume", "playback.volume", "playback.stop", "playback.pause"],
            commands.Select(a => a.OperationName));
        Assert.All(commands, a => Assert.Equal(caller.SpanId, a.ParentSpanId));
        Assert.All(commands, a => Assert.Equal(callId, a.GetTagItem("playback.call_id")));
        Assert.All(commands, a => Assert.Equal(handle.ControlId, a.GetTagItem("playback.control_id")));
        Assert.Equal(["success", "success", "success", "success", "invalid", "success", "state_error"], commands.Select(a => a.GetTagItem("playback.outcome")));
        Assert.Equal(2, commands.Count(a => a.Status == ActivityStatusCode.Error));

        // The W3C traceparent that reached the API names the caller's trace and, as parent, HttpClient's activity, a child of the command's.
        var arrivals = emulator.Journal.Arrivals;
        Assert.Equal(5, arrivals.Count);
        Assert.All(arrivals, a => Assert.StartsWith($"00-{caller.TraceId}-", a.Traceparent));
        var http = outgoing.Where(a => a.TraceId == caller.TraceId).ToDictionary(a => a.SpanId.ToString(), a => a.ParentSpanId);
        var sent = commands.Where(a => (string?)a.GetTagItem("playback.outcome") == "success").Select(a => a.SpanId).ToList();
        Assert.Equal(sent, arrivals.Select(a => http[a.Traceparent!.Split('-')[2]]));

        // Webhook handling: one activity per webhook, linked to the play's.
        var play = commands[0];
        var webhooks = telemetry.Activities.Where(a => a.OperationName == "playback.webhook" && (string?)a.GetTagItem("playback.call_id") == callId).ToList();
        Assert.NotEmpty(webhooks);
        Assert.All(webhooks.Where(w => (string?)w.GetTagItem("playback.webhook.event") == "calling.call.play"), w => Assert.Contains(w.Links, l => l.Context.SpanId == play.SpanId && l.Context.TraceId == play.TraceId));

        TelemetryAssert.NoSecretsOrIds(telemetry, emulator, [callId], [handle.ControlId]);
    }

    [Fact]
    public async Task A_faulted_run_counts_every_attempt_retry_and_rejected_webhook_as_the_emulator_saw_them()
    {
        using var telemetry = new TelemetryCapture();
        await using var connection = await ConnectAsync(telemetry);
        var (emulator, listener, playback) = connection;
        var callId = emulator.CreateCall(listener.Url);
        emulator.Faults.Set(new FaultPlan
        {
            Commands =
            [
                new CommandFaultRule { Command = "calling.play", Status = 503, First = 1 },
                new CommandFaultRule { Command = "calling.play.pause", Status = 429, RetryAfterSeconds = 1, First = 1 },
                new CommandFaultRule { Command = "calling.play.resume", DropConnection = true, First = 1 },
                new CommandFaultRule { Command = "calling.play.volume", Status = 500, First = 2 },
            ],
        });

        var handle = await playback.PlayAsync(callId, [Media.Ringtone("us")]);
        await listener.WaitForAsync(1, Patience);
        await handle.PauseAsync();
        await handle.ResumeAsync();
        await handle.SetVolumeAsync(-3);
        await handle.StopAsync();
        Assert.Equal(PlaybackState.Stopped, (await handle.Completion.WaitAsync(Patience)).State);
        var forged = await TelemetryAssert.SendForgedWebhooksAsync(playback, listener.Url, callId, handle.ControlId, count: 3);

        var requests = emulator.Journal.Requests;
        Assert.Equal(10, requests.Count);
        TelemetryAssert.RequestsMatchJournal(telemetry, emulator);

        // Nobody traces HttpClient here: Playback writes the traceparent itself, every attempt's (retries too) naming its command's activity.
        var commandSpans = telemetry.Activities
            .Where(a => a.OperationName != "playback.webhook" && (string?)a.GetTagItem("playback.call_id") == callId)
            .ToDictionary(a => a.SpanId.ToString(), a => a.TraceId.ToString());
        Assert.Equal(5, commandSpans.Count);
        Assert.Equal(10, emulator.Journal.Arrivals.Count);
        Assert.All(emulator.Journal.Arrivals, a =>
        {
            var parts = a.Traceparent!.Split('-');
            Assert.Equal(commandSpans[parts[2]], parts[1]);
        });
        Assert.Equal(5, emulator.Journal.Arrivals.Select(a => a.Traceparent).Distinct().Count());
        Assert.Equal(["play success", "pause success", "resume success", "volume success", "stop success"],
            telemetry.Of("playback.commands").Select(m => $"{m.Tag("playback.command")} {m.Tag("playback.outcome")}"));

        // Every request after a command's first is a retry: 1 of the play, 1 of the pause, 1 of the resume, 2 of the volume.
        var retries = telemetry.Of("playback.api.retries");
        Assert.Equal(requests.Count - 5, retries.Count);
        Assert.Equal(["play", "pause", "resume", "volume", "volume"], retries.Select(m => (string)m.Tag("playback.command")!));
        Assert.Equal(playback.Statistics.Retries, retries.Count);
        Assert.Equal(retries.Count, telemetry.LogsWithId(2001).Count);
        Assert.Contains(telemetry.LogsWithId(2001), l => l.Message.Contains("status 429") && l.Values.Any(v => v.Key == "Delay" && v.Value is TimeSpan { TotalSeconds: 1 }));

        await AwaitAssertAsync(() => TelemetryAssert.WebhooksMatchListener(telemetry, listener, rejected: forged), Patience);
        var rejectedLogs = telemetry.LogsWithId(3001);
        Assert.Equal(forged, rejectedLogs.Count);
        TelemetryAssert.NoSecretsOrIds(telemetry, emulator, [callId], [handle.ControlId]);
    }

    [Fact]
    public async Task A_watchdog_firing_and_a_gone_call_are_counted_and_logged_with_their_event_ids()
    {
        using var telemetry = new TelemetryCapture();
        await using var connection = await ConnectAsync(telemetry, statusTimeout: TimeSpan.FromSeconds(1));
        var (emulator, listener, playback) = connection;
        var silent = emulator.CreateCall(listener.Url);
        emulator.Faults.Set(new FaultPlan { Webhooks = [new WebhookFaultRule { Kind = WebhookFaultKind.Drop, CallId = silent }] });

        var unheard = await playback.PlayAsync(silent, [Media.Audio("https://example.com/long-hold-music.mp3")]);
        Assert.Equal(PlaybackState.Failed, (await unheard.Completion.WaitAsync(Patience)).State);
        Assert.Equal(1, telemetry.Sum("playback.watchdog.fired"));
        Assert.Single(telemetry.LogsWithId(1003));

        var gone = emulator.CreateCall(listener.Url);
        emulator.EndCall(gone);
        await Assert.ThrowsAsync<CallGoneException>(() => playback.PlayAsync(gone, [Media.Tts("anyone there?")]));
        Assert.Equal("call_gone", telemetry.Of("playback.commands").Last().Tag("playback.outcome"));
        await AwaitAssertAsync(() => Assert.Single(telemetry.LogsWithId(1002), l => l.Message.Contains(gone)), Patience);
        Assert.Contains(telemetry.LogsWithId(1001), l => l.Message.Contains("call_gone"));
        TelemetryAssert.NoSecretsOrIds(telemetry, emulator, [silent, gone], [unheard.ControlId]);
    }

    /// <summary>Samples the test's caller activities and records HttpClient's (<c>System.Net.Http</c>) request activities.</summary>
    private static ActivityListener ListenToCallerAndHttp(System.Collections.Concurrent.ConcurrentQueue<Activity> http)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CallerSource.Name || source.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.Source.Name == "System.Net.Http")
                {
                    http.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    /// <summary>An emulator at speed 20, a webhook listener, and a manager (see <see cref="Connect"/>) connected to both.</summary>
    private static async Task<PlaybackConnection> ConnectAsync(TelemetryCapture telemetry, TimeSpan? statusTimeout = null)
    {
        var emulator = await CallingEmulator.StartAsync(new EmulatorOptions { Speed = 20 });
        var listener = await PlaybackWebhookListener.StartAsync();
        return new PlaybackConnection(emulator, listener, Connect(emulator, listener, telemetry, statusTimeout));
    }

    /// <summary>A manager with its own ActorSystem, logging to the capture (<see cref="PlaybackManager.Create(PlaybackSettings, Microsoft.Extensions.Logging.ILoggerFactory)"/>) and metering into it.</summary>
    private static PlaybackManager Connect(CallingEmulator emulator, PlaybackWebhookListener listener, TelemetryCapture telemetry, TimeSpan? statusTimeout = null)
    {
        var settings = EndToEndTests.Settings(emulator, listener) with { MeterFactory = telemetry };
        if (statusTimeout is { } timeout)
        {
            settings = settings with { StatusTimeout = timeout };
        }

        var manager = PlaybackManager.Create(settings, telemetry);
        listener.Manager = manager;
        return manager;
    }
}
