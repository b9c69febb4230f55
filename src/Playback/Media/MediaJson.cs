using System.Text.Json;

namespace Playback;

/// <summary>Reads media lists from JSON (configuration, stored prompts, HTTP input) in either the nested or the flat form.</summary>
public static class MediaJson
{
    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = false };

    /// <summary>Parses one media item or an array of them.</summary>
    /// <param name="json">A JSON object or array of objects, nested (<c>{"type":"tts","params":{"text":"Hi"}}</c>) or flat (<c>{"type":"tts","text":"Hi"}</c>).</param>
    /// <returns>The items, in order. They are validated again, with indexes, when played.</returns>
    /// <exception cref="JsonException">The JSON is malformed, a type is unknown, a key is unknown, or a value has the wrong JSON type; the message names the item.</exception>
    public static IReadOnlyList<MediaItem> Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var doc = JsonDocument.Parse(json);
        return Parse(doc.RootElement);
    }

    /// <summary>Parses one media item or an array of them from a JSON element.</summary>
    /// <param name="element">An object or an array of objects.</param>
    /// <returns>The items, in order.</returns>
    /// <exception cref="JsonException">The element is not a valid media item or list; the message names the item.</exception>
    public static IReadOnlyList<MediaItem> Parse(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            var items = new List<MediaItem>(element.GetArrayLength());
            var i = 0;
            foreach (var child in element.EnumerateArray())
            {
                items.Add(FromElement(child, $"media[{i++}]"));
            }

            return items;
        }

        return [FromElement(element, "media[0]")];
    }

    /// <summary>Writes items in the nested wire form.</summary>
    /// <param name="items">The items.</param>
    /// <returns>A JSON array.</returns>
    public static string Serialize(IEnumerable<MediaItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            var converter = new MediaItemJsonConverter();
            writer.WriteStartArray();
            foreach (var item in items)
            {
                converter.Write(writer, item, WriteOptions);
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    internal static MediaItem FromElement(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"{path} must be a JSON object.");
        }

        string? type = null;
        JsonElement? nested = null;
        var flat = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "type":
                    type = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw new JsonException($"{path}.type must be a string.");
                    break;
                case "params":
                    nested = property.Value.ValueKind == JsonValueKind.Object ? property.Value : throw new JsonException($"{path}.params must be an object.");
                    break;
                default:
                    flat[property.Name] = property.Value;
                    break;
            }
        }

        if (type is null)
        {
            throw new JsonException($"{path}.type is required (audio, tts, silence or ringtone).");
        }

        if (nested is { } n)
        {
            if (flat.Count > 0)
            {
                throw new JsonException($"{path} mixes the nested form (params) with flat keys ({string.Join(", ", flat.Keys)}).");
            }

            foreach (var property in n.EnumerateObject())
            {
                flat[property.Name] = property.Value;
            }
        }

        var fields = new Fields(flat, path);
        MediaItem item = type.ToLowerInvariant() switch
        {
            "audio" => new AudioMedia(fields.RequiredString("url")),
            "tts" => new TtsMedia(fields.RequiredString("text"), fields.OptionalString("language"), fields.OptionalGender("gender"), fields.OptionalString("voice")),
            "silence" => new SilenceMedia(fields.RequiredNumber("duration")),
            "ringtone" => new RingtoneMedia(fields.RequiredString("name"), fields.OptionalNumber("duration")),
            _ => throw new JsonException($"{path}.type \"{type}\" is unknown (audio, tts, silence or ringtone)."),
        };
        fields.EnsureAllUsed();
        return item;
    }

    private sealed class Fields(Dictionary<string, JsonElement> values, string path)
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public string RequiredString(string name) =>
            OptionalString(name) ?? throw new JsonException($"{path}.{name} is required.");

        public string? OptionalString(string name)
        {
            if (!values.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                _used.Add(name);
                return null;
            }

            _used.Add(name);
            return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new JsonException($"{path}.{name} must be a string.");
        }

        public double RequiredNumber(string name) =>
            OptionalNumber(name) ?? throw new JsonException($"{path}.{name} is required.");

        public double? OptionalNumber(string name)
        {
            _used.Add(name);
            if (!values.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new JsonException($"{path}.{name} must be a number.");
        }

        public TtsGender? OptionalGender(string name) => OptionalString(name) switch
        {
            null => null,
            var s when s.Equals("male", StringComparison.OrdinalIgnoreCase) => TtsGender.Male,
            var s when s.Equals("female", StringComparison.OrdinalIgnoreCase) => TtsGender.Female,
            var s => throw new JsonException($"{path}.{name} must be male or female (was \"{s}\")."),
        };

        public void EnsureAllUsed()
        {
            var unknown = values.Keys.Where(k => !_used.Contains(k)).ToList();
            if (unknown.Count > 0)
            {
                throw new JsonException($"{path} has unknown key(s): {string.Join(", ", unknown)}.");
            }
        }
    }
}
