namespace Playback.Emulator;

/// <summary>
/// How the emulator words the answers that docs/protocol.md leaves to the server: a <c>calling.play</c> whose control id is in
/// use, a control command for a control id that is unknown or has ended, and whether an ended control id may be used
/// again. Both presets follow the protocol; a client must not depend on which one it talks to. Build variants with
/// <c>with { … }</c>.
/// </summary>
public sealed record EmulatorDialect
{
    /// <summary>The text <see cref="ConflictMessage"/> replaces with the control id.</summary>
    public const string ControlIdPlaceholder = "{control_id}";

    /// <summary>
    /// The emulator's own answers: a control id in use → 422 <c>validation_error</c> / <c>already_active</c> naming
    /// <c>attribute: "control_id"</c>; a control command for an unknown control id → 422 <c>not_found</c>, for an ended one
    /// → 422 <c>not_active</c> (both naming <c>control_id</c>); an ended control id may be used again.
    /// </summary>
    public static EmulatorDialect Reference { get; } = new();

    /// <summary>
    /// Another plausible server: a control id that was ever used on the call → 422
    /// <c>{"errors":[{"type":"request_error","code":"E1017","message":"Play with this identifier exists"}]}</c> (no
    /// <c>attribute</c>); a control command for an unknown or ended control id on a live call → 404
    /// <c>{"error":"Not Found"}</c>, the same answer as for a call that is gone.
    /// </summary>
    public static EmulatorDialect Independent { get; } = new()
    {
        ConflictType = "request_error",
        ConflictCode = "E1017",
        ConflictMessage = "Play with this identifier exists",
        ConflictNamesAttribute = false,
        InactiveControlStatus = 404,
        ReuseEndedControlIds = false,
    };

    /// <summary>The HTTP status of the answer to a <c>calling.play</c> whose control id is in use (active, or ever used when <see cref="ReuseEndedControlIds"/> is false).</summary>
    /// <value>The default is 422.</value>
    public int ConflictStatus { get; init; } = 422;

    /// <summary>The <c>errors[0].type</c> of the conflict answer.</summary>
    /// <value>The default is <c>validation_error</c>.</value>
    public string ConflictType { get; init; } = "validation_error";

    /// <summary>The <c>errors[0].code</c> of the conflict answer.</summary>
    /// <value>The default is <c>already_active</c>.</value>
    public string ConflictCode { get; init; } = "already_active";

    /// <summary>The <c>errors[0].message</c> of the conflict answer; <see cref="ControlIdPlaceholder"/> is replaced with the control id.</summary>
    /// <value>The default is <c>control_id {control_id} is already active on this call</c>.</value>
    public string ConflictMessage { get; init; } = "control_id " + ControlIdPlaceholder + " is already active on this call";

    /// <summary>Whether the conflict answer names <c>attribute: "control_id"</c> (docs/protocol.md section 4: the documented structure).</summary>
    /// <value>The default is true.</value>
    public bool ConflictNamesAttribute { get; init; } = true;

    /// <summary>
    /// The HTTP status of the answer to a control command (pause, resume, volume, stop) for a control id that is unknown
    /// on a live call or whose play has ended: 422 (<c>errors[]</c> with code <c>not_found</c> or <c>not_active</c>,
    /// naming <c>control_id</c>) or 404 (<c>{"error":"Not Found"}</c>, as for a call that is gone).
    /// </summary>
    /// <value>The default is 422.</value>
    public int InactiveControlStatus { get; init; } = 422;

    /// <summary>Whether a <c>calling.play</c> may use a control id whose earlier play on the same call has ended (docs/protocol.md section 2 only requires uniqueness among active plays).</summary>
    /// <value>The default is true.</value>
    public bool ReuseEndedControlIds { get; init; } = true;

    /// <summary>The preset of that name: <c>reference</c> or <c>independent</c> (case-insensitive).</summary>
    /// <param name="name">The preset's name.</param>
    /// <returns>The preset.</returns>
    /// <exception cref="ArgumentException">The name is neither.</exception>
    public static EmulatorDialect FromName(string name) => name.ToLowerInvariant() switch
    {
        "reference" => Reference,
        "independent" => Independent,
        _ => throw new ArgumentException($"Unknown dialect \"{name}\" (reference or independent).", nameof(name)),
    };

    /// <summary>The preset's name (<c>reference</c>, <c>independent</c>), or <c>custom</c> for any other variant.</summary>
    /// <returns>The name.</returns>
    public string Describe() => this == Reference ? "reference" : this == Independent ? "independent" : "custom";

    internal void Validate()
    {
        if (ConflictStatus is < 400 or > 499)
        {
            throw new ArgumentOutOfRangeException(nameof(ConflictStatus), ConflictStatus, "ConflictStatus must be a 4xx status.");
        }

        if (InactiveControlStatus is not (404 or 422))
        {
            throw new ArgumentOutOfRangeException(nameof(InactiveControlStatus), InactiveControlStatus, "InactiveControlStatus must be 404 or 422.");
        }

        if (ConflictType is null || ConflictCode is null || ConflictMessage is null)
        {
            throw new ArgumentException("ConflictType, ConflictCode and ConflictMessage must not be null.", nameof(ConflictMessage));
        }
    }
}
