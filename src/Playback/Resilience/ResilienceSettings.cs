namespace Playback;

/// <summary>How Playback's Calling API client survives the API's bad days. Defaults come from <c>playback.resilience</c> in <c>hocon/playback.conf</c>.</summary>
public sealed record ResilienceSettings
{
    /// <summary>Retries of a command after a transient failure (429, 500, 502, 503, 504, timeout, connection error); 0 disables retrying.</summary>
    /// <value>The default is 4.</value>
    public int MaxRetries { get; init; } = PlaybackConfig.Resilience.MaxRetries;

    /// <summary>The first backoff; each retry doubles it, with jitter, up to <see cref="MaxDelay"/>. A <c>Retry-After</c> answer is honoured instead.</summary>
    /// <value>The default is 200 ms.</value>
    public TimeSpan BaseDelay { get; init; } = PlaybackConfig.Resilience.BaseDelay;

    /// <summary>The longest backoff between two attempts.</summary>
    /// <value>The default is 5 s.</value>
    public TimeSpan MaxDelay { get; init; } = PlaybackConfig.Resilience.MaxDelay;

    /// <summary>The overall deadline of one command: attempts, backoffs and rate-limit queueing together.</summary>
    /// <value>The default is 45 s.</value>
    public TimeSpan CommandDeadline { get; init; } = PlaybackConfig.Resilience.CommandDeadline;

    /// <summary>The share of failed attempts within <see cref="BreakerSamplingDuration"/> that opens the circuit.</summary>
    /// <value>The default is 0.5.</value>
    public double BreakerFailureRatio { get; init; } = PlaybackConfig.Resilience.BreakerFailureRatio;

    /// <summary>The fewest attempts within <see cref="BreakerSamplingDuration"/> before the circuit may open.</summary>
    /// <value>The default is 20.</value>
    public int BreakerMinimumThroughput { get; init; } = PlaybackConfig.Resilience.BreakerMinimumThroughput;

    /// <summary>The window the failure ratio is measured over.</summary>
    /// <value>The default is 10 s.</value>
    public TimeSpan BreakerSamplingDuration { get; init; } = PlaybackConfig.Resilience.BreakerSamplingDuration;

    /// <summary>How long an open circuit fails commands at once before one probe is let through (half-open).</summary>
    /// <value>The default is 5 s.</value>
    public TimeSpan BreakerDuration { get; init; } = PlaybackConfig.Resilience.BreakerDuration;

    /// <summary>Write requests allowed per <see cref="RateLimitPeriod"/> for the account (SignalWire publishes 13,800 per 10 s); 0 disables the limiter.</summary>
    /// <value>The default is 13,800.</value>
    public int RateLimit { get; init; } = PlaybackConfig.Resilience.RateLimit;

    /// <summary>The period of <see cref="RateLimit"/>.</summary>
    /// <value>The default is 10 s.</value>
    public TimeSpan RateLimitPeriod { get; init; } = PlaybackConfig.Resilience.RateLimitPeriod;

    /// <summary>Requests that may wait for a rate-limit permit; beyond it a command fails at once.</summary>
    /// <value>The default is 100,000.</value>
    public int RateLimitQueue { get; init; } = PlaybackConfig.Resilience.RateLimitQueue;

    internal void Validate(List<string> problems)
    {
        if (MaxRetries is < 0 or > 100)
        {
            problems.Add("Resilience.MaxRetries must be 0 to 100");
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            problems.Add("Resilience.BaseDelay must be >= 0 and Resilience.MaxDelay >= BaseDelay");
        }

        if (CommandDeadline <= TimeSpan.Zero)
        {
            problems.Add("Resilience.CommandDeadline must be greater than zero");
        }

        if (BreakerFailureRatio is <= 0 or > 1 || BreakerMinimumThroughput < 2 || BreakerSamplingDuration < TimeSpan.FromMilliseconds(500) || BreakerDuration < TimeSpan.FromMilliseconds(500))
        {
            problems.Add("Resilience circuit breaker: failure ratio in (0, 1], minimum throughput >= 2, sampling and break durations >= 500 ms");
        }

        if (RateLimit < 0 || (RateLimit > 0 && (RateLimitPeriod < TimeSpan.FromMilliseconds(100) || RateLimitQueue < 0)))
        {
            problems.Add("Resilience rate limit: requests >= 0 (0 = off), period >= 100 ms, queue >= 0");
        }
    }
}
