namespace Playback.Tests;

/// <summary>
/// The Polly pipeline of <see cref="ResilientCallingApi"/> over a <see cref="FakeCallingApi"/>, on a fake clock
/// (<see cref="TimerClock"/>): retries and backoff, Retry-After, final errors, already-active plays, the command
/// deadline, cancellation, the circuit breaker, the rate limiter and the settings' validation. Nothing sleeps.
/// </summary>
public sealed partial class ResilientCallingApiTests : IDisposable
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

    /// <summary>Statuses the protocol calls final: never retried.</summary>
    public static TheoryData<int> FinalStatuses => [400, 401, 403, 404, 422];

    [Theory]
    [MemberData(nameof(FinalStatuses))]
    public async Task A_final_error_is_not_retried_and_surfaces_as_it_was_thrown(int status)
    {
        var (api, error) = await FailsAtOnceWithTheAnswerAsync(r => Status(r, status));

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
    /// <summary>A play through a new API whose first attempt gets <paramref name="answer"/> fails with that very exception.</summary>
    private async Task<(ResilientCallingApi Api, CallingApiException Error)> FailsAtOnceWithTheAnswerAsync(Func<FakeRequest, CallingApiException> answer)
    {
        var api = Create();
        CallingApiException? thrown = null;
        Answer(r => thrown = answer(r));

        var error = await Assert.ThrowsAnyAsync<CallingApiException>(() => Play(api, "c").WaitAsync(TimerClock.Guard));

        Assert.Same(thrown, error);
        return (api, error);
    }

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
