using System.Text.Json;
using System.Text.Json.Serialization;

namespace Playback;

/// <summary>
/// Writes media items in the nested wire form <c>{"type": T, "params": {…}}</c> and reads both the nested
/// form and the flat form of the docs examples (<c>{"type":"tts","text":"…"}</c>) into the same values.
/// </summary>
internal sealed class MediaItemJsonConverter : JsonConverter<MediaItem>
{
    /// <inheritdoc />
    public override MediaItem Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return MediaJson.FromElement(doc.RootElement, "media");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, MediaItem value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("type", value.Type);
        writer.WriteStartObject("params");
        switch (value)
        {
            case AudioMedia audio:
                writer.WriteString("url", audio.Url);
                break;
            case TtsMedia tts:
                writer.WriteString("text", tts.Text);
                WriteIfSet(writer, "language", tts.Language);
                WriteIfSet(writer, "gender", WireNames.Of(tts.Gender));
                WriteIfSet(writer, "voice", tts.Voice);
                break;
            case SilenceMedia silence:
                writer.WriteNumber("duration", silence.Duration);
                break;
            case RingtoneMedia ringtone:
                writer.WriteString("name", ringtone.Name);
                if (ringtone.Duration is { } d)
                {
                    writer.WriteNumber("duration", d);
                }

                break;
            default:
                throw new JsonException($"Unsupported media item type {value.GetType().Name}.");
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
