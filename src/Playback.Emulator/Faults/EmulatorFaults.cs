namespace Playback.Emulator;

/// <summary>The fault plan in force (none by default), settable from code or over HTTP (<c>PUT /__emulator/faults</c>).</summary>
public sealed class EmulatorFaults
{
    private readonly object _gate = new();
    private readonly int _defaultSeed;
    private FaultPlan _plan = new();
    private int[] _commandMatches = [];
    private int[] _webhookMatches = [];
    private Random _random;
    private long _injected;

    internal EmulatorFaults(int seed)
    {
        _defaultSeed = seed;
        _random = new Random(seed);
    }

    /// <summary>The plan in force.</summary>
    public FaultPlan Plan
    {
        get
        {
            lock (_gate)
            {
                return _plan;
            }
        }
    }

    /// <summary>How many faults have been injected since the plan was set.</summary>
    public long Injected => Interlocked.Read(ref _injected);

    /// <summary>Replaces the plan and resets its counters and random generator.</summary>
    /// <param name="plan">The new plan.</param>
    public void Set(FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var rule in plan.Commands)
        {
            if (rule.Probability is < 0 or > 1 || rule.First is < 0 || rule.Status is < 100 or > 599 || rule.LatencyMs is < 0)
            {
                throw new ArgumentException("A command fault has an out-of-range value (probability 0..1, first >= 0, status 100..599, latency >= 0).", nameof(plan));
            }
        }

        foreach (var rule in plan.Webhooks)
        {
            if (rule.Probability is < 0 or > 1 || rule.First is < 0 || rule.DelayMs is < 0 || !Enum.IsDefined(rule.Kind))
            {
                throw new ArgumentException("A webhook fault has an out-of-range value (probability 0..1, first >= 0, delay >= 0, known kind).", nameof(plan));
            }
        }

        lock (_gate)
        {
            _plan = plan;
            _commandMatches = new int[plan.Commands.Count];
            _webhookMatches = new int[plan.Webhooks.Count];
            _random = new Random(plan.Seed ?? _defaultSeed);
            Interlocked.Exchange(ref _injected, 0);
        }
    }

    /// <summary>Removes every fault.</summary>
    public void Clear() => Set(new FaultPlan());

    internal CommandFaultRule? ForCommand(string command, string? callId)
    {
        lock (_gate)
        {
            for (var i = 0; i < _plan.Commands.Count; i++)
            {
                var rule = _plan.Commands[i];
                if ((rule.Command is null or "*" || rule.Command == command) && (rule.CallId is null || rule.CallId == callId) && Fires(rule.First, rule.Probability, ref _commandMatches[i]))
                {
                    Interlocked.Increment(ref _injected);
                    return rule;
                }
            }

            return null;
        }
    }

    internal WebhookFaultRule? ForWebhook(string state, string callId)
    {
        lock (_gate)
        {
            for (var i = 0; i < _plan.Webhooks.Count; i++)
            {
                var rule = _plan.Webhooks[i];
                if ((rule.State is null or "*" || rule.State == state) && (rule.CallId is null || rule.CallId == callId) && Fires(rule.First, rule.Probability, ref _webhookMatches[i]))
                {
                    Interlocked.Increment(ref _injected);
                    return rule;
                }
            }

            return null;
        }
    }

    private bool Fires(int? first, double? probability, ref int matches)
    {
        matches++;
        if (first is { } n && matches > n)
        {
            return false;
        }

        return probability is not { } p || _random.NextDouble() < p;
    }
}
