using System.Text.Json.Serialization;

namespace Playback.Emulator;

/// <summary>A fault applied to matching commands. A rule matches by command (null or <c>*</c> = any) and call id (null = any); it fires for the first <see cref="First"/> matches, or with <see cref="Probability"/> (seeded), or always when neither is set.</summary>
public sealed record CommandFaultRule
{
    /// <summary>The command to match (<c>calling.play</c>, …); null or <c>*</c> matches every command.</summary>
    public string? Command { get; init; }

    /// <summary>The call to match; null matches every call.</summary>
    public string? CallId { get; init; }

    /// <summary>The status to answer instead (e.g. 429, 500, 502, 503).</summary>
    public int? Status { get; init; }

    /// <summary>With 429/503: a <c>Retry-After</c> header in seconds.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>With 429/503: a <c>Retry-After</c> header as an HTTP-date.</summary>
    public DateTimeOffset? RetryAfterDate { get; init; }

    /// <summary>Delay before answering, in milliseconds (emulator clock).</summary>
    public int? LatencyMs { get; init; }

    /// <summary>Abort the connection instead of answering.</summary>
    public bool DropConnection { get; init; }

    /// <summary>Fire only for the first N matching requests.</summary>
    public int? First { get; init; }

    /// <summary>Fire with this probability (0 to 1), drawn from the seeded generator.</summary>
    public double? Probability { get; init; }

    /// <summary>Apply the command first, then answer with the fault (the client sees a failure although the command landed).</summary>
    public bool AfterApply { get; init; }
}

/// <summary>What happens to a matching webhook.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WebhookFaultKind>))]
public enum WebhookFaultKind
{
    /// <summary>Never sent.</summary>
    Drop,

    /// <summary>Sent twice.</summary>
    Duplicate,

    /// <summary>Sent after <see cref="WebhookFaultRule.DelayMs"/>; later webhooks overtake it.</summary>
    Delay,

    /// <summary>Held back and sent right after the call's next webhook (or after <see cref="WebhookFaultRule.DelayMs"/>, default 1000, if none comes).</summary>
    Reorder,

    /// <summary>Sent to a URL where nothing listens instead of the status URL.</summary>
    DeadUrl,
}

/// <summary>A fault applied to matching webhooks; matching and firing work as for <see cref="CommandFaultRule"/>.</summary>
public sealed record WebhookFaultRule
{
    /// <summary>The fault.</summary>
    public WebhookFaultKind Kind { get; init; }

    /// <summary>The state to match (<c>playing</c>, <c>paused</c>, <c>finished</c>, <c>error</c>, <c>ended</c>); null or <c>*</c> matches every webhook.</summary>
    public string? State { get; init; }

    /// <summary>The call to match; null matches every call.</summary>
    public string? CallId { get; init; }

    /// <summary>Delay for <see cref="WebhookFaultKind.Delay"/> (and the hold limit of <see cref="WebhookFaultKind.Reorder"/>), in milliseconds.</summary>
    public int? DelayMs { get; init; }

    /// <summary>Fire only for the first N matching webhooks.</summary>
    public int? First { get; init; }

    /// <summary>Fire with this probability (0 to 1), drawn from the seeded generator.</summary>
    public double? Probability { get; init; }
}

/// <summary>All the faults in force. Reproducible: the same plan, seed and request order give the same faults.</summary>
public sealed record FaultPlan
{
    /// <summary>Command faults, tried in order; the first that fires applies.</summary>
    public IReadOnlyList<CommandFaultRule> Commands { get; init; } = [];

    /// <summary>Webhook faults, tried in order; the first that fires applies.</summary>
    public IReadOnlyList<WebhookFaultRule> Webhooks { get; init; } = [];

    /// <summary>Seed of the generator behind <c>Probability</c>; null keeps <see cref="EmulatorOptions.Seed"/>.</summary>
    public int? Seed { get; init; }
}
