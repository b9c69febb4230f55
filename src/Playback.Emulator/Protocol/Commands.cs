namespace Playback.Emulator;

/// <summary>A validated command.</summary>
internal abstract record EmulatorCommand(string Name, string? CallId, string? ControlId);

internal sealed record DialCommand(string? From, string? To, string? StatusUrl) : EmulatorCommand("dial", null, null);

internal sealed record EndCommand(string Id) : EmulatorCommand("end", Id, null);

internal sealed record PlayCommand(string Id, string PlayControlId, IReadOnlyList<MediaSegment> Media, double Volume, int Loop, string? StatusUrl)
    : EmulatorCommand("calling.play", Id, PlayControlId);

internal sealed record ControlCommand(string Command, string Id, string PlayControlId, double? Volume) : EmulatorCommand(Command, Id, PlayControlId);

/// <summary>One media item as the emulator plays it: its duration in media seconds (null = until stopped) and whether it fails.</summary>
internal sealed record MediaSegment(string Type, double? Seconds, bool Fails);

/// <summary>One item of a 422 answer.</summary>
/// <param name="Type">The error's <c>type</c>, e.g. <c>validation_error</c>.</param>
/// <param name="Code">The error's <c>code</c>.</param>
/// <param name="Message">The error's <c>message</c>.</param>
/// <param name="Attribute">The field it names, e.g. <c>volume</c>; null leaves <c>attribute</c> out (see <see cref="EmulatorDialect.ConflictNamesAttribute"/>).</param>
internal sealed record ValidationError(string Type, string Code, string Message, string? Attribute);
