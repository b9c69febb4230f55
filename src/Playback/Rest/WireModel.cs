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

/// <summary>An error body: <c>{"error": "…"}</c> or <c>{"errors": [{…}]}</c>. Its texts are read leniently (<see cref="LenientText"/>).</summary>
internal sealed record ErrorBody
{
    [JsonConverter(typeof(LenientText))]
    public string? Error { get; init; }

    public List<ErrorItem>? Errors { get; init; }
}

/// <summary>One item of <c>errors[]</c>.</summary>
internal sealed record ErrorItem
{
    [JsonConverter(typeof(LenientText))]
    public string? Type { get; init; }

    [JsonConverter(typeof(LenientText))]
    public string? Code { get; init; }

    [JsonConverter(typeof(LenientText))]
    public string? Message { get; init; }

    [JsonConverter(typeof(LenientText))]
    public string? Attribute { get; init; }
}

/// <summary>
/// A text field of an error body whatever JSON a server puts there: a string as it is, a number or a boolean as its JSON
/// text (<c>"code": 1017</c>), an object or an array as its raw JSON. Servers differ, and one field of another type must
/// not lose the whole body (its <c>errors[].attribute</c> is what the state machine reads).
/// </summary>
internal sealed class LenientText : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            System.Text.Json.JsonTokenType.String => reader.GetString(),
            System.Text.Json.JsonTokenType.Null => null,
            System.Text.Json.JsonTokenType.StartObject or System.Text.Json.JsonTokenType.StartArray => System.Text.Json.JsonDocument.ParseValue(ref reader).RootElement.GetRawText(),
            _ => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan),
        };

    public override void Write(System.Text.Json.Utf8JsonWriter writer, string? value, System.Text.Json.JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
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
