namespace Playback.Emulator;

/// <summary>Options of a <see cref="CallingEmulator"/>.</summary>
public sealed record EmulatorOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    /// <value>The default is 0.</value>
    public int Port { get; init; }

    /// <summary>The project id clients must send as the Basic auth user.</summary>
    /// <value>The default is <c>emulator-project</c>.</value>
    public string ProjectId { get; init; } = "emulator-project";

    /// <summary>The API token clients must send as the Basic auth password; random when not set.</summary>
    public string ApiToken { get; init; } = "PT" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The key webhooks are signed with; random when not set.</summary>
    public string SigningKey { get; init; } = "PSK" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>How much faster than real time media plays: 50 plays 10 s of media in 0.2 s.</summary>
    /// <value>The default is 1.</value>
    public double Speed { get; init; } = 1;

    /// <summary>Accept the flat media form (<c>{"type":"tts","text":"…"}</c>) of the docs examples besides the nested spec form.</summary>
    /// <value>The default is false: a client that does not send the spec form gets 422.</value>
    public bool AcceptFlatMedia { get; init; }

    /// <summary>Duration of an audio item whose URL has no <c>duration</c> query hint.</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan DefaultAudioDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock playback timing runs on (inject a fake one in tests).</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Seed of the random generator behind probabilistic faults, so that a run can be reproduced.</summary>
    /// <value>The default is 1.</value>
    public int Seed { get; init; } = 1;

    /// <summary>Timeout of one webhook delivery.</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan WebhookTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How the emulator words the answers docs/protocol.md leaves to the server (a control id in use, a control command for an unknown or ended control id, reuse of ended control ids).</summary>
    /// <value>The default is <see cref="EmulatorDialect.Reference"/>.</value>
    public EmulatorDialect Dialect { get; init; } = EmulatorDialect.Reference;

    /// <summary>Log each command and webhook to the console (the standalone program turns this on).</summary>
    public bool LogToConsole { get; init; }

    internal void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 0 (any free port) or 1 to 65535.");
        }

        if (!double.IsFinite(Speed) || Speed <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Speed), Speed, "Speed must be a finite number greater than 0.");
        }

        if (string.IsNullOrEmpty(ProjectId) || string.IsNullOrEmpty(ApiToken) || string.IsNullOrEmpty(SigningKey))
        {
            throw new ArgumentException("ProjectId, ApiToken and SigningKey must not be empty.", nameof(ProjectId));
        }

        if (DefaultAudioDuration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultAudioDuration), DefaultAudioDuration, "DefaultAudioDuration must be greater than zero.");
        }

        ArgumentNullException.ThrowIfNull(Dialect);
        Dialect.Validate();
    }
}
