using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Playback.Hosting;

/// <summary>
/// The <c>playback</c> health check: Unhealthy when Playback is not running (disposed or its ActorSystem terminated) or
/// its store could not be read at start, Degraded while it recovers calls from the store and when the Calling API could not be reached by the last requests (timeouts, connection errors, 429/5xx),
/// Healthy otherwise. Reads counters only; it sends nothing.
/// </summary>
public sealed class PlaybackHealthCheck : IHealthCheck
{
    /// <summary>The name the check is registered under.</summary>
    public const string Name = "playback";

    /// <summary>How many transient failures in a row make the check Degraded.</summary>
    public const int DegradedAfterTransientFailures = 3;

    private readonly Func<PlaybackManager?> _manager;

    internal PlaybackHealthCheck(Func<PlaybackManager?> manager)
    {
        _manager = manager;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_manager() is not { } manager)
        {
            return Task.FromResult(HealthCheckResult.Degraded("Playback has not started yet."));
        }

        var stats = manager.Statistics;
        var data = new Dictionary<string, object>
        {
            ["active_calls"] = stats.ActiveCalls,
            ["requests_sent"] = stats.RequestsSent,
            ["requests_failed"] = stats.RequestsFailed,
            ["consecutive_transient_failures"] = stats.ConsecutiveTransientFailures,
            ["last_api_answer"] = stats.LastAnswerAt?.ToString("O") ?? "never",
        };
        if (!manager.IsRunning)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Playback is not running (disposed or its ActorSystem terminated).", data: data));
        }

        if (manager.Recovery.IsFaulted)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Playback's store could not be read: " + manager.Recovery.Exception?.GetBaseException().Message, data: data));
        }

        if (!manager.Recovery.IsCompleted)
        {
            return Task.FromResult(HealthCheckResult.Degraded("Playback is recovering its calls from the store.", data: data));
        }

        if (stats.ConsecutiveTransientFailures >= DegradedAfterTransientFailures)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"The Calling API was not reachable for the last {stats.ConsecutiveTransientFailures} requests: {stats.LastTransientFailure}", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy(stats.LastAnswerAt is null ? "Running; no request sent yet." : "Running; the Calling API answers.", data));
    }
}
