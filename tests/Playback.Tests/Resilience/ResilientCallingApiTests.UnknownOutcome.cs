namespace Playback.Tests;

/// <summary>Attempts whose outcome is unknown (maybe applied, landed retries), the command deadline and cancellation.</summary>
public sealed partial class ResilientCallingApiTests
{
    // ───────────────────────── Attempts whose outcome is unknown ─────────────────────────

    /// <summary>How plausible servers refuse a retry whose first attempt landed: the wording is never read.</summary>
    public static TheoryData<string> Refusals => new() { "reference-422", "other-422-without-attribute", "bare-422", "404", "400" };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_retried_play_refused_after_an_attempt_without_answer_fails_as_maybe_applied_whatever_the_refusal_says(string refusal)
    {
        var api = Create();
        Answer(r => LostAnswer(r), r => Refusal(r, refusal));

        var play = Play(api, "c");
        await _clock.RunAsync(play, AttemptTimeout);
        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => play);

        Assert.True(error.MayHaveBeenApplied);
        Assert.False(error.IsTransient);
        Assert.Equal(2, _inner.Requests.Count);
        Assert.All(_inner.Requests, r => Assert.Equal(("c", CallingApi.Commands.Play), (r.ControlId, r.Command)));
        Assert.All(_inner.Requests, r => Assert.Equal("c", r.Options?.ControlId));
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_first_attempt_refused_is_a_plain_failure_not_maybe_applied(string refusal)
    {
        var (_, error) = await FailsAtOnceWithTheAnswerAsync(r => Refusal(r, refusal));

        Assert.False(error.MayHaveBeenApplied);
        Assert.Single(_inner.Requests);
    }

    [Fact]
    public async Task A_retry_after_a_connection_that_was_never_made_is_not_maybe_applied()
    {
        var api = Create();
        Answer(r => Transport(r), r => Refusal(r, "bare-422"));

        var play = Play(api, "c");
        await _clock.RunAsync(play, AttemptTimeout);
        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => play);

        Assert.False(error.MayHaveBeenApplied);
    }

    /// <summary>The transient 5xx statuses.</summary>
    public static TheoryData<int> TransientServerErrors => [500, 502, 503, 504];

    [Theory]
    [MemberData(nameof(TransientServerErrors))]
    public async Task A_retry_refused_after_a_5xx_is_maybe_applied(int status)
    {
        var api = Create();
        Answer(r => Status(r, status), r => Refusal(r, "bare-422"));

        var play = Play(api, "c");
        await _clock.RunAsync(play, AttemptTimeout);
        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => play);

        Assert.True(error.MayHaveBeenApplied);
        Assert.Equal(422, error.StatusCode);
    }

    [Fact]
    public async Task Retries_that_run_out_after_an_attempt_without_answer_end_maybe_applied()
    {
        var api = Create(new ResilienceSettings { MaxRetries = 2 });
        Answer(r => LostAnswer(r), r => Status(r, 429), r => Status(r, 429));

        var play = Play(api, "c");
        await _clock.RunAsync(play, AttemptTimeout);
        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => play);

        Assert.True(error.MayHaveBeenApplied);
        Assert.Equal(3, _inner.Requests.Count);
    }

    [Fact]
    public async Task An_attempt_that_timed_out_makes_the_command_maybe_applied()
    {
        var api = Create(new ResilienceSettings { CommandDeadline = TimeSpan.FromSeconds(2) });
        _inner.RespondCancellable = Hang;

        var stop = api.StopAsync(CallId, "c", CancellationToken.None);
        await WaitForRequestsAsync(1);
        _clock.Advance(TimeSpan.FromSeconds(2));
        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => stop.WaitAsync(TimerClock.Guard));

        Assert.True(error.MayHaveBeenApplied);
        Assert.True(error.IsTransient);
    }

    [Theory]
    [InlineData(CallingApi.Commands.Play)]
    [InlineData(CallingApi.Commands.Stop)]
    public async Task No_retry_is_sent_once_a_webhook_proved_the_lost_attempt_landed(string command)
    {
        var api = Create();
        api.Evidence = new LandedEvidence();
        Answer(r =>
        {
            // The server acted; its webhook reaches Playback before the answer is lost.
            api.Evidence.Record(r.CallId, r.ControlId);
            return LostAnswer(r);
        });

        var sent = command == CallingApi.Commands.Play ? Play(api, "c") : api.StopAsync(CallId, "c", CancellationToken.None);
        await _clock.RunAsync(sent, AttemptTimeout);
        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => sent);

        Assert.Single(_inner.Requests);
        Assert.True(error.MayHaveBeenApplied);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Evidence_for_another_control_id_does_not_stop_the_retry()
    {
        var api = Create();
        api.Evidence = new LandedEvidence();
        api.Evidence.Record(CallId, "other");
        Answer(r => LostAnswer(r));

        var play = Play(api, "c");
        await _clock.RunAsync(play, AttemptTimeout);
        await play.WaitAsync(TimerClock.Guard);

        Assert.Equal(2, _inner.Requests.Count);
    }

    // ───────────────────────── Deadline and cancellation ─────────────────────────

    [Fact]
    public async Task A_command_that_hangs_ends_at_the_command_deadline_with_a_transient_error_naming_the_deadline()
    {
        var api = Create(new ResilienceSettings { CommandDeadline = TimeSpan.FromSeconds(2) });
        _inner.RespondCancellable = Hang;

        var play = Play(api);
        await WaitForRequestsAsync(1);
        _clock.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromMilliseconds(1));
        Assert.False(play.IsCompleted);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => play.WaitAsync(TimerClock.Guard));

        Assert.True(error.IsTransient);
        Assert.Contains("deadline", error.Message, StringComparison.Ordinal);
        Assert.Equal(CallingApi.Commands.Play, error.Command);
        Assert.Single(_inner.Requests);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_during_an_attempt_ends_with_OperationCanceledException_and_no_further_attempt()
    {
        var api = Create();
        _inner.RespondCancellable = Hang;
        using var cts = new CancellationTokenSource();

        var play = Play(api, cancellationToken: cts.Token);
        await WaitForRequestsAsync(1);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => play.WaitAsync(TimerClock.Guard));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(_inner.Requests);
        Assert.Equal(0, api.Retries);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_during_a_backoff_ends_with_OperationCanceledException_and_no_further_attempt()
    {
        var api = Create();
        Answer(r => Status(r, 503));
        using var cts = new CancellationTokenSource();

        var play = Play(api, cancellationToken: cts.Token);
        await _clock.NextDelayAsync(AttemptTimeout);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => play.WaitAsync(TimerClock.Guard));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(_inner.Requests);
    }
}
