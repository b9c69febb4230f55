using System.Collections.Immutable;
using System.Runtime.Serialization;
using Akka.Actor;
using Xunit.Abstractions;

namespace Playback.Cluster.Tests.Unit;

public sealed class SerializerTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = WARNING", output: output)
{
    private static readonly DateTimeOffset At = new(2025, 3, 4, 5, 6, 7, 891, TimeSpan.FromHours(2));

    private static readonly ImmutableArray<MediaItem> AllKinds =
    [
        Media.Audio("https://cdn.example.com/hold.mp3"),
        Media.Tts("Bitte warten", language: "de-DE", gender: TtsGender.Female, voice: "polly.Vicki"),
        Media.Tts("plain"),
        Media.Silence(1.5),
        Media.Ringtone("uk", 3),
        Media.Ringtone("us"),
    ];

    private static readonly PlayOptions FullOptions = new()
    {
        ControlId = "ctl-1",
        Volume = -4.5,
        Direction = PlayDirection.Both,
        Loop = 3,
        Language = "en-GB",
        Voice = "polly.Amy",
        Gender = TtsGender.Male,
        StatusUrl = new Uri("https://hooks.example.com/status?x=1"),
        WhenBusy = PlayConflict.Replace,
    };

    private PlaybackClusterSerializer Serializer => new((ExtendedActorSystem)Sys);

    private T RoundTrip<T>(T message)
        where T : notnull
    {
        var serializer = Serializer;
        var manifest = serializer.Manifest(message);
        var back = serializer.FromBinary(serializer.ToBinary(message), manifest);
        return Assert.IsType<T>(back);
    }

    [Fact]
    public void A_start_play_round_trips_with_every_media_kind_and_full_options()
    {
        var play = new StartPlay("call-1", "ctl-1", AllKinds, FullOptions);

        var back = RoundTrip(play);

        Assert.Equal("call-1", back.CallId);
        Assert.Equal("ctl-1", back.ControlId);
        Assert.Equal<MediaItem>(AllKinds, back.Media);
        Assert.Equal(FullOptions, back.Options);
    }

    [Fact]
    public void A_start_play_with_default_options_round_trips_to_the_defaults()
    {
        var back = RoundTrip(new StartPlay("call-1", "ctl-2", [Media.Silence(2)], PlayOptions.Default));

        Assert.Equal(PlayOptions.Default, back.Options);
        Assert.Equal<MediaItem>([Media.Silence(2)], back.Media);
    }

    [Fact]
    public void Pause_resume_stop_and_volume_round_trip()
    {
        Assert.Equal(new PausePlay("call-1", "a"), RoundTrip(new PausePlay("call-1", "a")));
        Assert.Equal(new ResumePlay("call-1", "b"), RoundTrip(new ResumePlay("call-1", "b")));
        Assert.Equal(new StopPlay("call-1", "c"), RoundTrip(new StopPlay("call-1", "c")));
        Assert.Equal(new ChangeVolume("call-1", "d", -12.25), RoundTrip(new ChangeVolume("call-1", "d", -12.25)));
        Assert.Equal(new ChangeVolume("call-1", "e", 0), RoundTrip(new ChangeVolume("call-1", "e", 0)));
    }

    [Fact]
    public void A_commands_trace_crosses_as_its_w3c_context_and_is_the_parent_of_the_request_on_the_other_node()
    {
        using var command = new System.Diagnostics.Activity("playback.volume").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C);
        command.ActivityTraceFlags = System.Diagnostics.ActivityTraceFlags.Recorded;
        command.TraceStateString = "vendor=abc";
        command.Start();
        System.Diagnostics.Activity.Current = null;

        var json = System.Text.Encoding.UTF8.GetString(Serializer.ToBinary(new ChangeVolume("call-1", "a", -3) { Trace = command }));
        var back = RoundTrip(new ChangeVolume("call-1", "a", -3) { Trace = command });

        Assert.Contains($"\"trace\":{{\"traceparent\":\"{command.Id}\",\"tracestate\":\"vendor=abc\"}}", json);
        var remote = Assert.IsType<System.Diagnostics.Activity>(back.Trace);
        Assert.Null(remote.Id); // never started: no span of its own on the other node
        var context = PlaybackActivities.ContextOf(remote);
        Assert.Equal((command.TraceId, command.SpanId, command.ActivityTraceFlags, "vendor=abc", true), (context.TraceId, context.SpanId, context.TraceFlags, context.TraceState, context.IsRemote));
        var request = new Flurl.Http.FlurlRequest("http://127.0.0.1:1/api/calling/calls");
        using (PlaybackActivities.Resume(remote))
        {
            PlaybackActivities.InjectTraceContext(request);
        }

        Assert.Equal([("traceparent", command.Id!), ("tracestate", "vendor=abc")], request.Headers.Select(h => (h.Name, h.Value)));

        // Passed on from that node as it came; a command without a trace has none.
        Assert.Equal(command.Id, RoundTrip(back).Trace?.ParentId);
        Assert.DoesNotContain("trace", System.Text.Encoding.UTF8.GetString(Serializer.ToBinary(new PausePlay("call-1", "a"))));
        Assert.Null(RoundTrip(new PausePlay("call-1", "a")).Trace);
    }

    [Theory]
    [InlineData("""{"call_id":"call-1","control_id":"a","trace":{"traceparent":"not-a-traceparent"}}""")]
    [InlineData("""{"call_id":"call-1","control_id":"a","trace":{"traceparent":"00-00000000000000000000000000000000-0000000000000000-01"}}""")]
    public void A_trace_that_is_not_a_valid_traceparent_is_dropped_not_fatal(string json)
    {
        var back = Assert.IsType<PausePlay>(Serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(json), Serializer.Manifest(new PausePlay("c", "x"))));

        Assert.Equal(("call-1", "a", null), (back.CallId, back.ControlId, back.Trace));
    }

    [Fact]
    public void Each_command_has_its_own_manifest()
    {
        var s = Serializer;
        var manifests = new object[]
        {
            new StartPlay("c", "x", [Media.Silence(1)], PlayOptions.Default), new PausePlay("c", "x"), new ResumePlay("c", "x"),
            new StopPlay("c", "x"), new ChangeVolume("c", "x", 1),
        }.Select(s.Manifest).ToList();

        Assert.Equal(manifests.Count, manifests.Distinct().Count());
    }

    [Fact]
    public void Command_received_round_trips_to_the_singleton()
    {
        Assert.Same(CommandReceived.Instance, RoundTrip(CommandReceived.Instance));
    }

    [Fact]
    public void Command_succeeded_round_trips_with_its_snapshot()
    {
        var snapshot = new PlaybackSnapshot("call-1", "ctl-1", PlaybackState.Paused, -3.5, "reported by the server");

        Assert.Equal(snapshot, RoundTrip(new CommandSucceeded(snapshot)).Playback);
        Assert.Equal(snapshot with { Reason = null }, RoundTrip(new CommandSucceeded(snapshot with { Reason = null })).Playback);
    }

    [Fact]
    public void A_state_failure_keeps_its_type_message_ids_and_state()
    {
        var error = Failure(new PlaybackStateException("playback x is queued", "call-1", "x", PlaybackState.Queued));

        var back = Assert.IsType<PlaybackStateException>(error);
        Assert.Equal("playback x is queued", back.Message);
        Assert.Equal("call-1", back.CallId);
        Assert.Equal("x", back.ControlId);
        Assert.Equal(PlaybackState.Queued, back.State);
    }

    [Fact]
    public void A_state_failure_without_state_or_control_id_keeps_them_null()
    {
        var back = Assert.IsType<PlaybackStateException>(Failure(new PlaybackStateException("no", "call-1", null, null)));

        Assert.Null(back.State);
        Assert.Null(back.ControlId);
    }

    [Fact]
    public void Shutdown_moved_and_node_lost_failures_keep_their_type_message_and_ids()
    {
        PlaybackException[] errors =
        [
            new PlaybackShutdownException("shutting down", "call-1", "a"),
            new PlaybackMovedException("moved, send it again", "call-2", "b"),
            new PlaybackNodeLostException("node lost", "call-3", null),
        ];

        foreach (var error in errors)
        {
            var back = Failure(error);

            Assert.IsType(error.GetType(), back);
            Assert.Equal(error.Message, back.Message);
            Assert.Equal(error.CallId, back.CallId);
            Assert.Equal(error.ControlId, back.ControlId);
        }
    }

    [Fact]
    public void A_calling_api_failure_keeps_status_errors_request_id_transience_and_retry_after()
    {
        var error = new CallingApiException(
            CallingApi.Commands.Volume,
            "call-1",
            "ctl-1",
            429,
            "slow down",
            [new CallingApiError("validation_error", "bad_volume", "volume out of range", "volume"), new CallingApiError(null, null, "other", null)],
            "req-42",
            isTransient: true,
            retryAfter: TimeSpan.FromSeconds(7.5));

        var back = Assert.IsType<CallingApiException>(Failure(error));

        AssertSameApiFailure(error, back);
        Assert.Equal((429, "req-42", true), (back.StatusCode, back.RequestId, back.IsTransient));
        Assert.Equal(TimeSpan.FromSeconds(7.5), back.RetryAfter);
    }

    [Fact]
    public void A_calling_api_failure_without_a_response_round_trips()
    {
        var error = new CallingApiException(CallingApi.Commands.Play, "call-1", null, null, null, null, null, isTransient: false);

        var back = Assert.IsType<CallingApiException>(Failure(error));

        Assert.Equal(error.Message, back.Message);
        Assert.Null(back.StatusCode);
        Assert.Null(back.ControlId);
        Assert.Empty(back.Errors);
        Assert.False(back.IsTransient);
        Assert.Null(back.RetryAfter);
    }

    [Fact]
    public void A_call_gone_failure_stays_a_call_gone_failure()
    {
        var error = new CallGoneException(CallingApi.Commands.Stop, "call-9", "ctl-9", 404, "Not Found", "req-1");

        var back = Assert.IsType<CallGoneException>(Failure(error));

        AssertSameApiFailure(error, back);
        Assert.Equal((404, "Not Found", "req-1"), (back.StatusCode, back.ServerMessage, back.RequestId));
        Assert.False(back.IsTransient);
    }

    /// <summary><paramref name="back"/> carries every field of the <paramref name="sent"/> calling API failure.</summary>
    private static void AssertSameApiFailure(CallingApiException sent, CallingApiException back)
    {
        Assert.Equal(sent.Message, back.Message);
        Assert.Equal((sent.CallId, sent.ControlId, sent.Command), (back.CallId, back.ControlId, back.Command));
        Assert.Equal((sent.StatusCode, sent.ServerMessage, sent.RequestId), (back.StatusCode, back.ServerMessage, back.RequestId));
        Assert.Equal(sent.Errors, back.Errors);
        Assert.Equal((sent.IsTransient, sent.RetryAfter), (back.IsTransient, back.RetryAfter));
        Assert.Equal(sent.MayHaveBeenApplied, back.MayHaveBeenApplied);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Whether_a_shutdown_failure_may_have_been_applied_crosses_nodes(bool mayHaveLanded)
    {
        var error = new PlaybackShutdownException("stopped", "call-4", "ctl-4") { MayHaveBeenApplied = mayHaveLanded };

        var back = Assert.IsType<PlaybackShutdownException>(Failure(error));

        Assert.Equal((error.Message, mayHaveLanded), (back.Message, back.MayHaveBeenApplied));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Whether_a_failure_may_have_been_applied_crosses_nodes(bool gone)
    {
        // A caller on another node must not read "may have landed" as "safe to send again".
        CallingApiException error = gone
            ? new CallGoneException(CallingApi.Commands.Play, "call-3", "ctl-3", 404, "Not Found", "req-3") { MayHaveBeenApplied = true }
            : new CallingApiException(CallingApi.Commands.Play, "call-3", "ctl-3", 503, "unavailable", null, "req-3", isTransient: true) { MayHaveBeenApplied = true };

        var back = Assert.IsAssignableFrom<CallingApiException>(Failure(error));

        Assert.True(back.MayHaveBeenApplied);
        AssertSameApiFailure(error, back);
    }

    [Fact]
    public void Webhooks_round_trip_with_and_without_timestamps()
    {
        var play = new PlayStatusReceived("call-1", "ctl-1", ReportedPlayState.Finished, At);
        var state = new CallStateReceived("call-1", ReportedCallState.Ended, At);
        var stateWithout = new CallStateReceived("call-1", ReportedCallState.Answered, null);

        Assert.Equal(play, RoundTrip(play));
        Assert.Equal(play with { Timestamp = null }, RoundTrip(play with { Timestamp = null }));
        Assert.Equal(state, RoundTrip(state));
        Assert.Equal(At.Offset, RoundTrip(state).Timestamp!.Value.Offset);
        Assert.Equal(stateWithout, RoundTrip(stateWithout));
    }

    [Fact]
    public void Webhook_results_round_trip()
    {
        WebhookResult[] results =
        [
            WebhookResult.Accepted(),
            WebhookResult.Accepted("duplicate"),
            WebhookResult.Ignored("unknown control id"),
            WebhookResult.Rejected("bad signature", WebhookRejection.Signature),
        ];

        foreach (var result in results)
        {
            Assert.Equal(result, RoundTrip(result));
        }
    }

    [Fact]
    public void Playback_events_round_trip()
    {
        var first = new PlaybackEvent("call-1", "ctl-1", PlaybackState.Starting, null, 0, null, At, PlaybackChange.State);
        var volume = new PlaybackEvent("call-1", "ctl-1", PlaybackState.Playing, PlaybackState.Playing, -6, "louder", At, PlaybackChange.Volume);

        Assert.Equal(first, RoundTrip(first));
        Assert.Equal(volume, RoundTrip(volume));
    }

    [Fact]
    public void A_handoff_round_trips_with_queued_media()
    {
        var playing = new PlaybackEntry("a", PlaybackState.Playing, -2, null, [Media.Tts("hi", "en-US", voice: "polly.Joanna")], FullOptions with { ControlId = "a" })
        {
            StopSent = true,
            LastAckAt = At,
            LastEventAt = At.AddSeconds(3),
        };
        var queued = new PlaybackEntry("b", PlaybackState.Queued, 0, null, AllKinds, FullOptions with { ControlId = "b", WhenBusy = PlayConflict.Enqueue });
        var paused = new PlaybackEntry("c", PlaybackState.Paused, 1, "reported by the server", [Media.Ringtone("bong")], PlayOptions.Default);
        var handoff = new CallHandoff("call-1", [playing, queued, paused], ["b"], ["old-1", "old-2"]);

        var back = RoundTrip(handoff);

        Assert.Equal("call-1", back.CallId);
        Assert.Equal(["b"], back.Queue);
        Assert.Equal(["old-1", "old-2"], back.Ended);
        Assert.Equal(3, back.Playbacks.Length);
        AssertSameEntry(playing, back.Playbacks[0]);
        AssertSameEntry(queued, back.Playbacks[1]);
        AssertSameEntry(paused, back.Playbacks[2]);
    }

    [Fact]
    public void An_empty_handoff_round_trips()
    {
        var back = RoundTrip(new CallHandoff("call-1", [], [], []));

        Assert.Empty(back.Playbacks);
        Assert.Empty(back.Queue);
        Assert.Empty(back.Ended);
    }

    [Fact]
    public void An_unknown_manifest_is_a_serialization_error()
    {
        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary("{}"u8.ToArray(), "no-such-thing"));

        Assert.Contains("no-such-thing", error.Message);
    }

    [Fact]
    public void A_malformed_payload_is_a_serialization_error()
    {
        var s = Serializer;
        var manifest = s.Manifest(new PausePlay("c", "x"));

        Assert.Throws<SerializationException>(() => s.FromBinary("{not json"u8.ToArray(), manifest));
        Assert.Throws<SerializationException>(() => s.FromBinary("null"u8.ToArray(), manifest));
    }

    [Fact]
    public void An_unsupported_object_is_an_argument_error()
    {
        var s = Serializer;

        Assert.Throws<ArgumentException>(() => s.Manifest("a string"));
        Assert.Throws<ArgumentException>(() => s.ToBinary(new object()));
        Assert.Throws<ArgumentException>(() => s.ToBinary(new Passivate("call-1")));
    }

    [Fact]
    public void Added_to_a_system_it_is_the_serializer_for_every_playback_message()
    {
        PlaybackCluster.AddSerializer(Sys);
        PlaybackCluster.AddSerializer(Sys);

        object[] messages =
        [
            new StartPlay("c", "x", [Media.Silence(1)], PlayOptions.Default), new PausePlay("c", "x"), CommandReceived.Instance,
            new CommandSucceeded(new PlaybackSnapshot("c", "x", PlaybackState.Playing, 0, null)),
            new CommandFailed(new PlaybackMovedException("m", "c", "x")),
            new PlayStatusReceived("c", "x", ReportedPlayState.Playing, null), WebhookResult.Accepted(),
            new PlaybackEvent("c", "x", PlaybackState.Playing, null, 0, null, At, PlaybackChange.State),
            new CallHandoff("c", [], [], []),
        ];

        var wrong = messages.Where(m => Sys.Serialization.FindSerializerFor(m) is not PlaybackClusterSerializer).Select(m => m.GetType().Name).ToList();
        Assert.Empty(wrong);
    }

    private PlaybackException Failure(PlaybackException error) => RoundTrip(new CommandFailed(error)).Error;

    private static void AssertSameEntry(PlaybackEntry expected, PlaybackEntry actual)
    {
        Assert.Equal(expected.ControlId, actual.ControlId);
        Assert.Equal(expected.State, actual.State);
        Assert.Equal(expected.Volume, actual.Volume);
        Assert.Equal(expected.Reason, actual.Reason);
        Assert.Equal<MediaItem>(expected.Media, actual.Media);
        Assert.Equal(expected.Options, actual.Options);
        Assert.Equal(expected.StopSent, actual.StopSent);
        Assert.Equal(expected.LastAckAt, actual.LastAckAt);
        Assert.Equal(expected.LastEventAt, actual.LastEventAt);
    }
}
