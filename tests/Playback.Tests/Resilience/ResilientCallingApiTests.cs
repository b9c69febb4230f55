namespace Playback.Tests;

/// <summary>
/// The Polly pipeline of <see cref="ResilientCallingApi"/> over a <see cref="FakeCallingApi"/>, on a fake clock
/// (<see cref="TimerClock"/>): retries and backoff, Retry-After, final errors, already-active plays, the command
/// deadline, cancellation, the circuit breaker, the rate limiter and the settings' validation. Nothing sleeps.
/// </summary>
public sealed class ResilientCallingApiTests : IDisposable
{
    private const string CallId = "call-r";

    /// <summary>The per-attempt timeout the tests use (the default request timeout); backoffs are always shorter.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);

    private static readonly IReadOnlyList<MediaItem> Hello = [Media.Tts("Hello")];

    private readonly FakeCallingApi _inner = new();
    private readonly TimerClock _clock = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly List<ResilientCallingApi> _created = [];

    public void Dispose()
    {
        foreach (var api in _created)
        {
            api.Dispose();
        }
    }

    // ───────────────────────── Retries ─────────────────────────

    [Fact]
    public async Task A_command_that_gets_503_twice_then_2xx_succeeds_on_the_third_attempt_after_two_retries()
    {
        var api = Create();
        Answer(r => Status(r, 503), r => Status(r, 503));

        var play = Play(api);
        var backoffs = await _clock.RunAsync(play, AttemptTimeout);
        await play.WaitAsync(TimerClock.Guard);

        Assert.Equal(3, _inner.Requests.Count);
        Assert.Equal(2, api.Retries);
        Assert.Equal(2, backoffs.Count);
    }

    [Fact]
    public async Task A_429_with_Retry_After_7_s_is_retried_after_7_s_of_fake_time_and_not_before_even_above_MaxDelay()
    {
        var api = Create(new ResilienceSettings { MaxDelay = TimeSpan.FromSeconds(5) });
        Answer(r => new CallingApiException(r.Command, r.CallId, r.ControlId, 429, "Too Many Requests", null, null, isTransient: true, retryAfter: TimeSpan.FromSeconds(7)));

        var play = Play(api);
        var backoff = await _clock.NextDelayAsync(AttemptTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), backoff);

        _clock.Advance(TimeSpan.FromSeconds(7) - TimeSpan.FromMilliseconds(1));
        Assert.Single(_inner.Requests);
        Assert.False(play.IsCompleted);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await play.WaitAsync(TimerClock.Guard);
        Assert.Equal(2, _inner.Requests.Count);
        Assert.Equal(1, api.Retries);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(null)]
    public async Task A_transient_failure_is_retried(int? status)
    {
        var api = Create();
        Answer(r => status is { } s ? Status(r, s) : Transport(r));

        var play = Play(api);
        await _clock.RunAsync(play, AttemptTimeout);
        await play.WaitAsync(TimerClock.Guard);

        Assert.Equal(2, _inner.Requests.Count);
        Assert.Equal(1, api.Retries);
    }

    [Fact]
    public async Task An_attempt_that_exceeds_the_attempt_timeout_is_cancelled_and_retried()
    {
        var attemptTimeout = TimeSpan.FromSeconds(1);
        var api = Create(new ResilienceSettings { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(500) }, attemptTimeout);
        var firstCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var n = 0;
        _inner.RespondCancellable = async (_, ct) =>
        {
            _arrived.Release();
            if (Interlocked.Increment(ref n) == 1)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    firstCancelled.TrySetResult();
                    throw;
                }
            }
        };

        var play = Play(api);
        await WaitForRequestsAsync(1);
        _clock.Advance(attemptTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(firstCancelled.Task.IsCompleted);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await firstCancelled.Task.WaitAsync(TimerClock.Guard);
        await _clock.RunAsync(play, attemptTimeout);
        await play.WaitAsync(TimerClock.Guard);

        Assert.Equal(2, _inner.Requests.Count);
        Assert.Equal(1, api.Retries);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task A_final_error_is_not_retried_and_surfaces_as_it_was_thrown(int status)
    {
        var api = Create();
        CallingApiException? thrown = null;
        Answer(r => thrown = Status(r, status));

        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => Play(api).WaitAsync(TimerClock.Guard));

        Assert.Same(thrown, error);
        Assert.Equal(status, error.StatusCode);
        if (status == 404)
        {
            Assert.IsType<CallGoneException>(error);
        }

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(_inner.Requests);
        Assert.Equal(0, api.Retries);
    }

    [Fact]
    public async Task When_the_retries_are_exhausted_the_last_error_surfaces()
    {
        var api = Create(new ResilienceSettings { MaxRetries = 2 });
        var errors = new List<CallingApiException>();
        Answer(r => Remember(errors, Status(r, 503, "first")), r => Remember(errors, Status(r, 502, "second")), r => Remember(errors, Status(r, 500, "third")));

        var play = Play(api);
        await _clock.RunAsync(play, AttemptTimeout);
        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => play);

        Assert.Equal(3, errors.Count);
        Assert.Same(errors[2], error);
        Assert.Equal("third", error.ServerMessage);
        Assert.Equal(3, _inner.Requests.Count);
        Assert.Equal(2, api.Retries);
    }

    [Fact]
    public async Task With_MaxRetries_0_a_transient_failure_gets_exactly_one_attempt()
    {
        var api = Create(new ResilienceSettings { MaxRetries = 0 });
        CallingApiException? thrown = null;
        Answer(r => thrown = Status(r, 503));

        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => Play(api).WaitAsync(TimerClock.Guard));

        Assert.Same(thrown, error);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(_inner.Requests);
        Assert.Equal(0, api.Retries);
    }

    [Fact]
    public async Task Backoffs_grow_with_jitter_and_never_exceed_MaxDelay()
    {
        var settings = new ResilienceSettings { MaxRetries = 8, BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(5), CommandDeadline = TimeSpan.FromMinutes(5) };
        var api = Create(settings);
        Answer([.. Enumerable.Repeat<Func<FakeRequest, Exception?>>(r => Status(r, 503), 8)]);

        var play = Play(api);
        var backoffs = await _clock.RunAsync(play, AttemptTimeout);
        await play.WaitAsync(TimerClock.Guard);

        Assert.Equal(8, backoffs.Count);
        Assert.All(backoffs, d => Assert.InRange(d, TimeSpan.FromTicks(1), settings.MaxDelay));
        var plain = Enumerable.Range(0, 8).Select(k => TimeSpan.FromTicks(Math.Min(settings.BaseDelay.Ticks << k, settings.MaxDelay.Ticks))).ToList();
        Assert.NotEqual(plain, backoffs);
        Assert.True(backoffs.Max() > 2 * settings.BaseDelay, "the backoff grows beyond the first delays");
    }

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
        var api = Create();
        CallingApiException? thrown = null;
        Answer(r => thrown = Refusal(r, refusal));

        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => Play(api, "c").WaitAsync(TimerClock.Guard));

        Assert.Same(thrown, error);
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

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
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

    // ───────────────────────── Circuit breaker ─────────────────────────

    private static readonly ResilienceSettings Breaker = new()
    {
        MaxRetries = 0,
        BreakerMinimumThroughput = 2,
        BreakerFailureRatio = 0.5,
        BreakerSamplingDuration = TimeSpan.FromSeconds(1),
        BreakerDuration = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task After_sustained_failures_the_circuit_opens_and_fails_fast_without_calling_the_API()
    {
        var api = Create(Breaker);
        var opened = await OpenCircuitAsync(api);

        Assert.Equal(2, _inner.Requests.Count);
        Assert.Equal(1, api.BreakerOpenings);
        Assert.Contains("circuit open", opened.Message, StringComparison.Ordinal);
        Assert.True(opened.IsTransient);
        Assert.Null(opened.StatusCode);
        Assert.IsAssignableFrom<Polly.CircuitBreaker.BrokenCircuitException>(opened.InnerException);
    }

    [Fact]
    public async Task After_the_break_duration_one_probe_is_let_through_and_its_success_closes_the_circuit()
    {
        var api = Create(Breaker);
        await OpenCircuitAsync(api);

        _clock.Advance(Breaker.BreakerDuration);
        await Play(api, "probe").WaitAsync(TimerClock.Guard);
        await Play(api, "after").WaitAsync(TimerClock.Guard);

        Assert.Equal(["first", "second", "probe", "after"], _inner.Requests.Select(r => r.ControlId));
        Assert.Equal(1, api.BreakerOpenings);
    }

    [Fact]
    public async Task A_failed_probe_opens_the_circuit_again()
    {
        var api = Create(Breaker);
        await OpenCircuitAsync(api);
        AlwaysAnswer(503);

        _clock.Advance(Breaker.BreakerDuration);
        await Assert.ThrowsAnyAsync<CallingApiException>(() => Play(api, "probe").WaitAsync(TimerClock.Guard));
        var fast = await Assert.ThrowsAnyAsync<CallingApiException>(() => Play(api, "rejected").WaitAsync(TimerClock.Guard));

        Assert.Contains("circuit open", fast.Message, StringComparison.Ordinal);
        Assert.Equal(["first", "second", "probe"], _inner.Requests.Select(r => r.ControlId));
        Assert.Equal(2, api.BreakerOpenings);
    }

    // ───────────────────────── Rate limiter ─────────────────────────

    [Theory]
    [InlineData(10)]
    [InlineData(3600)]
    public async Task A_burst_of_50_commands_lets_a_tenth_of_the_limit_through_at_once_and_the_rest_one_per_step_of_fake_time(int periodSeconds)
    {
        // With a period of an hour, a limiter that refilled on real time instead of the pipeline's clock would let
        // nothing more through within the test's guard.
        var period = TimeSpan.FromSeconds(periodSeconds);
        var api = Create(new ResilienceSettings { RateLimit = 100, RateLimitPeriod = period, RateLimitQueue = 1000, CommandDeadline = TimeSpan.FromDays(1) });
        Answer();

        var plays = Enumerable.Range(0, 50).Select(i => Play(api, $"c{i}", callId: $"call-{i}")).ToList();
        await WaitForRequestsAsync(10);
        Assert.Equal(10, _inner.Requests.Count);
        Assert.Equal(40, plays.Count(p => !p.IsCompleted));

        // 10 burst tokens, then the other 90 of the 100 per period trickle in: one every period / 90.
        var step = period / 90;
        _clock.Advance(step - TimeSpan.FromTicks(1));
        Assert.Equal(10, _inner.Requests.Count);
        _clock.Advance(TimeSpan.FromTicks(1));
        for (var expected = 11; expected <= 50; expected++)
        {
            await WaitForRequestsAsync(expected);
            Assert.Equal(expected, _inner.Requests.Count);
            _clock.Advance(step);
        }

        await Task.WhenAll(plays).WaitAsync(TimerClock.Guard);
        Assert.Equal(50, _inner.Requests.Select(r => r.ControlId).Distinct().Count());
        Assert.Equal(0, api.Retries);
    }

    [Fact]
    public async Task With_no_rate_limit_queue_the_overflow_fails_at_once_with_a_transient_error_naming_the_rate_limit()
    {
        var api = Create(new ResilienceSettings { RateLimit = 100, RateLimitPeriod = TimeSpan.FromSeconds(10), RateLimitQueue = 0 });
        Answer();

        var plays = Enumerable.Range(0, 50).Select(i => Play(api, $"c{i}", callId: $"call-{i}")).ToList();
        var outcomes = await Task.WhenAll(plays.Select(Outcome)).WaitAsync(TimerClock.Guard);

        Assert.Equal(10, outcomes.Count(e => e is null));
        var rejected = outcomes.Where(e => e is not null).ToList();
        Assert.Equal(40, rejected.Count);
        Assert.All(rejected, e =>
        {
            var error = Assert.IsType<CallingApiException>(e);
            Assert.True(error.IsTransient);
            Assert.Contains("rate limit", error.Message, StringComparison.Ordinal);
        });
        Assert.Equal(10, _inner.Requests.Count);
        Assert.Equal(0, api.Retries);
    }

    [Fact]
    public async Task A_rate_limit_of_0_lets_every_command_through_at_once()
    {
        var api = Create(new ResilienceSettings { RateLimit = 0, RateLimitQueue = 0 });
        Answer();

        var plays = Enumerable.Range(0, 50).Select(i => Play(api, $"c{i}", callId: $"call-{i}")).ToList();
        await Task.WhenAll(plays).WaitAsync(TimerClock.Guard);

        Assert.Equal(50, _inner.Requests.Count);
    }

    // ───────────────────────── Validation ─────────────────────────

    public static TheoryData<string, ResilienceSettings> InvalidSettings() => new()
    {
        { "Resilience.MaxRetries", new ResilienceSettings { MaxRetries = -1 } },
        { "failure ratio", new ResilienceSettings { BreakerFailureRatio = 0 } },
        { "failure ratio", new ResilienceSettings { BreakerFailureRatio = 1.5 } },
        { "minimum throughput", new ResilienceSettings { BreakerMinimumThroughput = 1 } },
        { "Resilience.CommandDeadline", new ResilienceSettings { CommandDeadline = TimeSpan.Zero } },
        { "Resilience.MaxDelay", new ResilienceSettings { BaseDelay = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(1) } },
        { "rate limit", new ResilienceSettings { RateLimit = -1 } },
        { "rate limit", new ResilienceSettings { RateLimitQueue = -1 } },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Invalid_settings_are_refused_with_a_PlaybackConfigurationException_naming_them(string named, ResilienceSettings settings)
    {
        var error = Assert.Throws<PlaybackConfigurationException>(() => new ResilientCallingApi(_inner, settings, AttemptTimeout, _clock));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_settings_are_valid()
    {
        using var api = new ResilientCallingApi(_inner, new ResilienceSettings(), AttemptTimeout);

        Assert.Equal(0, api.Retries);
        Assert.Equal(0, api.BreakerOpenings);
    }

    // ───────────────────────── Helpers ─────────────────────────

    private ResilientCallingApi Create(ResilienceSettings? settings = null, TimeSpan? attemptTimeout = null)
    {
        var api = new ResilientCallingApi(_inner, settings ?? new ResilienceSettings(), attemptTimeout ?? AttemptTimeout, _clock);
        _created.Add(api);
        return api;
    }

    private static Task Play(ResilientCallingApi api, string controlId = "c", CancellationToken cancellationToken = default, string callId = CallId) =>
        api.PlayAsync(callId, controlId, Hello, new PlayOptions { ControlId = controlId }, cancellationToken);

    /// <summary>Answers the n-th request with the n-th function's exception (null = success); later requests succeed. Signals each arrival.</summary>
    private void Answer(params Func<FakeRequest, Exception?>[] answers)
    {
        var n = -1;
        _inner.Respond = r =>
        {
            var i = Interlocked.Increment(ref n);
            var error = i < answers.Length ? answers[i](r) : null;
            _arrived.Release();
            return error is null ? Task.CompletedTask : Task.FromException(error);
        };
    }

    private async Task Hang(FakeRequest request, CancellationToken cancellationToken)
    {
        _arrived.Release();
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    /// <summary>Waits until the inner API has received <paramref name="count"/> requests (every answer set up here signals its arrival).</summary>
    private async Task WaitForRequestsAsync(int count)
    {
        using var guard = new CancellationTokenSource(TimerClock.Guard);
        while (_inner.Requests.Count < count)
        {
            await _arrived.WaitAsync(guard.Token);
        }
    }

    /// <summary>Answers every request with <paramref name="status"/>.</summary>
    private void AlwaysAnswer(int status) => Answer([.. Enumerable.Repeat<Func<FakeRequest, Exception?>>(r => Status(r, status), 1000)]);

    private static async Task<Exception?> Outcome(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private async Task<CallingApiException> OpenCircuitAsync(ResilientCallingApi api)
    {
        AlwaysAnswer(503);
        await Assert.ThrowsAnyAsync<CallingApiException>(() => Play(api, "first").WaitAsync(TimerClock.Guard));
        await Assert.ThrowsAnyAsync<CallingApiException>(() => Play(api, "second").WaitAsync(TimerClock.Guard));
        var opened = await Assert.ThrowsAnyAsync<CallingApiException>(() => Play(api, "rejected").WaitAsync(TimerClock.Guard));
        Answer();
        return opened;
    }

    private static CallingApiException Status(FakeRequest r, int status, string message = "error") => FakeCallingApi.Error(r, status, message);

    private static CallingApiException Transport(FakeRequest r) =>
        new(r.Command, r.CallId, r.ControlId, null, "transport failure: Connection refused", null, null, isTransient: true);

    /// <summary>The connection dropped after the request was sent: the server may have acted.</summary>
    private static CallingApiException LostAnswer(FakeRequest r) =>
        new(r.Command, r.CallId, r.ControlId, null, "transport failure: the response ended prematurely", null, null, isTransient: true) { MayHaveBeenApplied = true };

    private static CallingApiException Refusal(FakeRequest r, string kind) => kind switch
    {
        "reference-422" => new(r.Command, r.CallId, r.ControlId, 422, "control_id c is already active",
            [new CallingApiError("validation_error", "already_active", "control_id c is already active", "control_id")], null, isTransient: false),
        "other-422-without-attribute" => new(r.Command, r.CallId, r.ControlId, 422, "Play with this identifier exists",
            [new CallingApiError("request_error", "E1017", "Play with this identifier exists", null)], null, isTransient: false),
        "bare-422" => new(r.Command, r.CallId, r.ControlId, 422, null, null, null, isTransient: false),
        "404" => new(r.Command, r.CallId, r.ControlId, 404, "Not Found", null, null, isTransient: false),
        _ => Status(r, 400),
    };

    private static CallingApiException Remember(List<CallingApiException> errors, CallingApiException e)
    {
        lock (errors)
        {
            errors.Add(e);
        }

        return e;
    }
}
