namespace Playback.Tests;

/// <summary>The circuit breaker, the rate limiter and the settings' validation.</summary>
public sealed partial class ResilientCallingApiTests
{
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
}
