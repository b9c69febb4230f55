using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Retry;
using Polly.Timeout;

namespace Playback;

/// <summary>
/// Decorates an <see cref="ICallingApi"/> with Polly: an overall deadline per command, retries of transient failures
/// (capped exponential backoff with jitter, <c>Retry-After</c> honoured, never 400/401/403/404/422), a circuit breaker,
/// an account-wide token-bucket rate limiter, and a per-attempt timeout. A retried <c>calling.play</c> reuses its
/// control id. Nothing here reads an error's wording: when an attempt got no answer or a 5xx (the server may have acted)
/// and the command then fails, the failure carries <see cref="PlaybackException.MayHaveBeenApplied"/>, and the call's
/// state machine settles it (webhook evidence, <c>errors[].attribute</c>, or a stop). A retry of a play or a stop is not
/// sent once a webhook for its control id has proved that an earlier attempt landed.
/// </summary>
internal sealed partial class ResilientCallingApi : ICallingApi, IDisposable
{
    private readonly ICallingApi _inner;
    // Generic (of a dummy bool) rather than the non-generic pipeline: its reactive strategies then run without Polly's
    // bridge between the two (an async layer and an outcome conversion per strategy and attempt).
    private readonly ResiliencePipeline<bool> _pipeline;
    private readonly ConcurrencyLimiter? _tokens;
    private readonly ConcurrentQueue<RateLimitLease> _spent = new();
    private readonly ITimer? _replenish;
    private readonly int _tokensPerStep;
    private readonly TimeSpan _deadline;
    private readonly TimeProvider _time;
    private long _retries;
    private long _breakerOpened;

    /// <summary>Wraps an API client.</summary>
    /// <param name="inner">The client to call, usually <see cref="CallingApi"/>.</param>
    /// <param name="settings">The resilience settings.</param>
    /// <param name="attemptTimeout">Timeout of one attempt (usually <see cref="PlaybackSettings.RequestTimeout"/>).</param>
    public ResilientCallingApi(ICallingApi inner, ResilienceSettings settings, TimeSpan attemptTimeout)
        : this(inner, settings, attemptTimeout, TimeProvider.System)
    {
    }

    internal ResilientCallingApi(ICallingApi inner, ResilienceSettings settings, TimeSpan attemptTimeout, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<string>();
        settings.Validate(problems);
        if (problems.Count > 0)
        {
            throw new PlaybackConfigurationException(problems);
        }

        _inner = inner;
        _time = time;
        _deadline = settings.CommandDeadline;
        var transient = new PredicateBuilder<bool>()
            .Handle<CallingApiException>(e => e.IsTransient)
            .Handle<TimeoutRejectedException>();
        var builder = new ResiliencePipelineBuilder<bool> { TimeProvider = time }
            .AddTimeout(settings.CommandDeadline);
        if (settings.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<bool>
            {
                ShouldHandle = transient,
                MaxRetryAttempts = settings.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.BaseDelay,
                MaxDelay = settings.MaxDelay,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is CallingApiException { RetryAfter: { } retryAfter } ? retryAfter : (TimeSpan?)null),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    Telemetry?.RetryScheduled(args.AttemptNumber + 2, args.RetryDelay, args.Outcome.Exception);
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<bool>
        {
            ShouldHandle = transient,
            FailureRatio = settings.BreakerFailureRatio,
            MinimumThroughput = settings.BreakerMinimumThroughput,
            SamplingDuration = settings.BreakerSamplingDuration,
            BreakDuration = settings.BreakerDuration,
            OnOpened = args =>
            {
                Interlocked.Increment(ref _breakerOpened);
                Telemetry?.BreakerOpened(args.BreakDuration, args.Outcome.Exception);
                return default;
            },
            OnClosed = _ => Telemetry?.BreakerClosed() ?? default,
            OnHalfOpened = _ => Telemetry?.BreakerHalfOpened() ?? default,
        });
        if (settings.RateLimit > 0)
        {
            // A smooth token bucket: one tenth of the limit may burst, the rest trickles back in up to 100 steps per
            // period, so no window of one period ever exceeds the limit. System.Threading.RateLimiting's
            // ConcurrencyLimiter holds the tokens (its permits) and does the FIFO queueing, queue limit and
            // cancellation; a spent permit is handed back by a timer on the pipeline's TimeProvider (the BCL's
            // TokenBucketRateLimiter replenishes on a real timer and the Stopwatch, whatever the TimeProvider says).
            var burst = Math.Max(1, settings.RateLimit / 10);
            var trickle = Math.Max(1, settings.RateLimit - burst);
            var steps = Math.Min(100, trickle);
            _tokensPerStep = trickle / steps;
            _tokens = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = burst,
                QueueLimit = settings.RateLimitQueue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
            var step = settings.RateLimitPeriod / steps;
            _replenish = time.CreateTimer(_ => Replenish(), null, step, step);
            builder.AddRateLimiter(new RateLimiterStrategyOptions { RateLimiter = args => TakeTokenAsync(args.Context.CancellationToken) });
        }

        // The attempt's timeout: Playback's own HTTP client enforces the same one on every request (Flurl's timeout, which
        // fails the attempt as a transient CallingApiException that may have been applied), so a second timer per attempt
        // would only race it; any other client gets the pipeline's.
        if (inner is not CallingApi { RequestTimeout: var enforced } || enforced != attemptTimeout)
        {
            builder.AddTimeout(attemptTimeout);
        }

        _pipeline = builder.Build();
    }

    /// <summary>Retries made so far.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>How often the circuit has opened.</summary>
    public long BreakerOpenings => Interlocked.Read(ref _breakerOpened);

    /// <inheritdoc />
    public Task PlayAsync(string callId, string controlId, IReadOnlyList<MediaItem> media, PlayOptions options, CancellationToken cancellationToken) =>
        RunAsync(CallingApi.Commands.Play, callId, controlId, ct => _inner.PlayAsync(callId, controlId, media, options, ct), cancellationToken);

    /// <inheritdoc />
    public Task PauseAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        RunAsync(CallingApi.Commands.Pause, callId, controlId, ct => _inner.PauseAsync(callId, controlId, ct), cancellationToken);

    /// <inheritdoc />
    public Task ResumeAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        RunAsync(CallingApi.Commands.Resume, callId, controlId, ct => _inner.ResumeAsync(callId, controlId, ct), cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        RunAsync(CallingApi.Commands.Stop, callId, controlId, ct => _inner.StopAsync(callId, controlId, ct), cancellationToken);

    /// <inheritdoc />
    public Task SetVolumeAsync(string callId, string controlId, double volume, CancellationToken cancellationToken) =>
        RunAsync(CallingApi.Commands.Volume, callId, controlId, ct => _inner.SetVolumeAsync(callId, controlId, volume, ct), cancellationToken);

    /// <summary>Disposes the rate limiter and, when it is disposable, the inner client.</summary>
    public void Dispose()
    {
        _replenish?.Dispose();
        _tokens?.Dispose();
        while (_spent.TryDequeue(out var lease))
        {
            lease.Dispose();
        }

        (_inner as IDisposable)?.Dispose();
    }

    /// <summary>
    /// Set by the manager: whether a webhook for the control id has arrived while its command was on the wire, which proves
    /// that an earlier attempt landed (<see cref="LandedEvidence"/>). Consulted before each retry of a play or a stop.
    /// </summary>
    internal LandedEvidence? Evidence { get; set; }

    /// <summary>Set by the manager: where retries, breaker transitions and rate-limit waits are counted and logged.</summary>
    internal PlaybackTelemetry? Telemetry { get; set; }

    /// <summary>The decorated client.</summary>
    internal ICallingApi Inner => _inner;

    /// <summary>Takes one token, waiting in the limiter's queue when none is left. The token stays spent after the request: only <see cref="Replenish"/> gives it back.</summary>
    private async ValueTask<RateLimitLease> TakeTokenAsync(CancellationToken cancellationToken)
    {
        var waitStarted = _time.GetTimestamp();
        var lease = await _tokens!.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        Telemetry?.RateLimitWaited(_time.GetElapsedTime(waitStarted));
        if (!lease.IsAcquired)
        {
            return lease;
        }

        _spent.Enqueue(lease);
        return SpentToken.Instance;
    }

    /// <summary>One step of the bucket's refill: returns up to <see cref="_tokensPerStep"/> spent tokens (the oldest waiters get them first).</summary>
    private void Replenish()
    {
        for (var i = 0; i < _tokensPerStep && _spent.TryDequeue(out var lease); i++)
        {
            lease.Dispose();
        }
    }

    private async Task RunAsync(string command, string callId, string controlId, Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        var run = new Attempts(this, command, callId, controlId, call, cancellationToken);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(static (context, run) => run.AttemptAsync(context.CancellationToken), context, run).ConfigureAwait(false);
            outcome.ThrowIfException();
        }
        catch (BrokenCircuitException e)
        {
            throw new CallingApiException(command, callId, controlId, null, $"circuit open: the Calling API failed repeatedly; failing fast for now (last error: {run.Last?.ServerMessage ?? e.Message})", null, run.Last?.RequestId, isTransient: true, inner: e)
            {
                MayHaveBeenApplied = run.Ambiguous,
            };
        }
        catch (RateLimiterRejectedException e)
        {
            throw new CallingApiException(command, callId, controlId, null, "rate limit queue full: too many commands are waiting for a permit", null, null, isTransient: true, inner: e)
            {
                MayHaveBeenApplied = run.Ambiguous,
            };
        }
        catch (TimeoutRejectedException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CallingApiException(command, callId, controlId, run.Last?.StatusCode, $"no success within {Describe(e.Timeout)} after {run.Count} attempt(s){(run.Last is null ? string.Empty : "; last error: " + run.Last.ServerMessage)}", run.Last?.Errors, run.Last?.RequestId, isTransient: true, run.Last?.RetryAfter, e)
            {
                MayHaveBeenApplied = run.Ambiguous,
            };
        }
        catch (CallingApiException e) when (run.Ambiguous && !e.MayHaveBeenApplied)
        {
            // E.g. the retries ran out on 429s after an attempt whose answer was lost.
            throw e.AsMaybeApplied();
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private string Describe(TimeSpan timeout) => timeout == _deadline ? $"the command deadline of {timeout.TotalSeconds:0.###} s" : $"{timeout.TotalSeconds:0.###} s";
}
