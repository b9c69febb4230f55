using System.Text.Json.Serialization;

namespace Playback;

/// <summary>The command envelope: <c>{"id": call id, "command": name, "params": {…}}</c>.</summary>
internal sealed record CallCommandBody<TParams>(string Id, string Command, TParams Params);

/// <summary>calling.play params.</summary>
internal sealed record PlayParams(string ControlId, IReadOnlyList<MediaItem> Play)
{
    public double? Volume { get; init; }

    public string? Direction { get; init; }

    public int? Loop { get; init; }

    public string? Language { get; init; }

    public string? Voice { get; init; }

    public string? Gender { get; init; }

    public string? StatusUrl { get; init; }
}

/// <summary>calling.play.pause / resume / stop params.</summary>
internal sealed record ControlParams(string ControlId);

/// <summary>calling.play.volume params.</summary>
internal sealed record VolumeParams(string ControlId, double Volume);

/// <summary>An error body: <c>{"error": "…"}</c> or <c>{"errors": [{…}]}</c>.</summary>
internal sealed record ErrorBody
{
    public string? Error { get; init; }

    public List<ErrorItem>? Errors { get; init; }
}

/// <summary>One item of <c>errors[]</c>.</summary>
internal sealed record ErrorItem
{
    public string? Type { get; init; }

    public string? Code { get; init; }

    public string? Message { get; init; }

    public string? Attribute { get; init; }
}

/// <summary>Source-generated System.Text.Json metadata for the wire: snake_case, nulls omitted.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CallCommandBody<PlayParams>))]
[JsonSerializable(typeof(CallCommandBody<ControlParams>))]
[JsonSerializable(typeof(CallCommandBody<VolumeParams>))]
[JsonSerializable(typeof(ErrorBody))]
internal sealed partial class WireJsonContext : JsonSerializerContext
{
}
