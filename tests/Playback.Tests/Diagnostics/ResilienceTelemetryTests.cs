using Akka.Actor;
using Akka.Event;
using Playback.Testing;

namespace Playback.Tests;

/// <summary>
/// What <see cref="ResilientCallingApi"/> reports to the manager's telemetry, on a fake clock: retries with their attempt
/// and delay, every circuit breaker transition, rate-limit waits. And Akka's own log events reaching an ILoggerFactory.
/// </summary>
public sealed class ResilienceTelemetryTests : IDisposable
{
    private readonly FakeCallingApi _inner = new();
    private readonly TimerClock _clock = new();
    private readonly TelemetryCapture _capture = new();
    private readonly PlaybackTelemetry _telemetry;

    public ResilienceTelemetryTests()
    {
        _telemetry = new PlaybackTelemetry(((Microsoft.Extensions.Logging.ILoggerFactory)_capture).CreateLogger("Playback"), _capture);
    }

    public void Dispose()
    {
        _telemetry.Dispose();
        _capture.Dispose();
    }

    [Fact]
    public async Task Each_retry_is_counted_by_command_and_logged_with_its_attempt_and_delay()
    {
        using var api = Create(new ResilienceSettings { MaxRetries = 3, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(1) });
        var failures = 2;
        _inner.Respond = r => Interlocked.Decrement(ref failures) >= 0 ? Task.FromException(FakeCallingApi.Error(r, 503)) : Task.CompletedTask;

        var pause = api.PauseAsync("call-t", "c1", CancellationToken.None);
        await _clock.RunAsync(pause, shorterThan: TimeSpan.FromSeconds(5));
        await pause.WaitAsync(TimerClock.Guard);

        Assert.Equal(["pause", "pause"], _capture.Of("playback.api.retries").Select(m => (string)m.Tag("playback.command")!));
        var logged = _capture.LogsWithId(2001);
        Assert.Equal([2, 3], logged.Select(l => (int)l.Values.Single(v => v.Key == "Attempt").Value!));
        Assert.All(logged, l => Assert.Contains("status 503", l.Message, StringComparison.Ordinal));
        Assert.All(logged, l => Assert.IsType<TimeSpan>(l.Values.Single(v => v.Key == "Delay").Value));
        Assert.Equal(2, api.Retries);
    }

    [Fact]
    public async Task The_breaker_counts_and_logs_opened_half_open_and_closed()
    {
        using var api = Create(new ResilienceSettings
        {
            MaxRetries = 0,
            BreakerMinimumThroughput = 2,
            BreakerFailureRatio = 0.5,
            BreakerSamplingDuration = TimeSpan.FromSeconds(1),
            BreakerDuration = TimeSpan.FromSeconds(1),
        });
        _inner.Respond = r => Task.FromException(FakeCallingApi.Error(r, 503));
        await Assert.ThrowsAnyAsync<CallingApiException>(() => api.StopAsync("call-b", "first", CancellationToken.None).WaitAsync(TimerClock.Guard));
        await Assert.ThrowsAnyAsync<CallingApiException>(() => api.StopAsync("call-b", "second", CancellationToken.None).WaitAsync(TimerClock.Guard));
        _inner.Respond = _ => Task.CompletedTask;

        _clock.Advance(TimeSpan.FromSeconds(1));
        await api.StopAsync("call-b", "probe", CancellationToken.None).WaitAsync(TimerClock.Guard);

        Assert.Equal(["open", "half_open", "closed"], _capture.Of("playback.breaker.transitions").Select(m => (string)m.Tag("playback.breaker.state")!));
        Assert.Single(_capture.LogsWithId(2002));
        Assert.Single(_capture.LogsWithId(2004));
        Assert.Single(_capture.LogsWithId(2003));
    }

    [Fact]
    public async Task Every_permit_of_the_rate_limiter_records_its_wait_and_only_long_waits_are_logged()
    {
        // A limit of 10 per 100 s: a burst of 1, then one token back every 100/9 s of the pipeline's clock.
        using var api = Create(new ResilienceSettings { RateLimit = 10, RateLimitPeriod = TimeSpan.FromSeconds(100), RateLimitQueue = 10, CommandDeadline = TimeSpan.FromDays(1) });
        _inner.Respond = _ => Task.CompletedTask;

        await api.PauseAsync("call-r", "at-once", CancellationToken.None).WaitAsync(TimerClock.Guard);
        var waiting = api.PauseAsync("call-r", "waits", CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(100.0 / 9));
        await waiting.WaitAsync(TimerClock.Guard);

        var waits = _capture.Of("playback.api.rate_limited").Select(m => m.Value).ToList();
        Assert.Equal(2, waits.Count);
        Assert.Equal(0, waits[0]);
        Assert.Equal(100.0 / 9, waits[1], precision: 3);
        Assert.All(_capture.Of("playback.api.rate_limited"), m => Assert.Empty(m.Tags));
        var logged = Assert.Single(_capture.LogsWithId(2005));
        Assert.Equal(TimeSpan.FromSeconds(100.0 / 9).TotalSeconds, ((TimeSpan)logged.Values.Single(v => v.Key == "Wait").Value!).TotalSeconds, precision: 3);
    }

    [Fact]
    public async Task Akka_log_events_of_a_system_made_for_a_logger_factory_reach_that_factory()
    {
        var system = ActorSystem.Create("logs", LoggerFactoryAkkaSetup.For(_capture));
        try
        {
            Logging.GetLogger(system, "observability-test").Warning("akka says {0}", "hello");

            var logged = await _capture.WaitForLogAsync(l => l.Message.Contains("akka says hello", StringComparison.Ordinal), TimerClock.Guard);

            Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, logged.Level);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private ResilientCallingApi Create(ResilienceSettings settings) =>
        new(_inner, settings, TimeSpan.FromSeconds(30), _clock) { Telemetry = _telemetry };
}
