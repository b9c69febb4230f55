using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Playback;

/// <summary>The one pass of <see cref="WebhookParser"/> over a body: where the values it reads are.</summary>
internal static partial class WebhookParser
{
    /// <summary>Reads the whole body once, noting where the values Playback reads are; false when it is not an object.</summary>
    private static bool Scan(ReadOnlySpan<byte> json, out Fields fields)
    {
        fields = default;
        var reader = new Utf8JsonReader(json, Options);
        if (!reader.Read())
        {
            throw new JsonException("the body is empty");
        }

        var isObject = reader.TokenType == JsonTokenType.StartObject;
        if (!isObject)
        {
            reader.Skip();
        }

        while (isObject && reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ref var slot = ref fields.Root.Slot(ref reader, out var isParams, out var isTimestamp);
            reader.Read();
            var value = new Value(reader.TokenType, (int)reader.TokenStartIndex);
            if (isParams)
            {
                fields.Params = value;
                fields.InParams = default;
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ScanParams(ref reader, ref fields.InParams);
                    continue;
                }
            }
            else if (isTimestamp)
            {
                fields.Timestamp = value;
            }
            else if (!Unsafe.IsNullRef(ref slot))
            {
                slot = value;
            }

            reader.Skip();
        }

        // Nothing may follow the value (the reader throws on a second one or on trailing garbage).
        while (reader.Read())
        {
        }

        return isObject;
    }

    private static void ScanParams(ref Utf8JsonReader reader, ref Properties properties)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ref var slot = ref properties.Slot(ref reader, out _, out _);
            reader.Read();
            if (!Unsafe.IsNullRef(ref slot))
            {
                slot = new Value(reader.TokenType, (int)reader.TokenStartIndex);
            }

            reader.Skip();
        }
    }

    /// <summary>A value found in the body: its token type and where it starts (absent when <see cref="Type"/> is None).</summary>
    private readonly record struct Value(JsonTokenType Type, int Start)
    {
        public bool IsPresent => Type != JsonTokenType.None;
    }

    /// <summary>The values of the properties Playback reads, in the root object and in its last <c>params</c> object.</summary>
    private struct Fields
    {
        public Properties Root;
        public Properties InParams;
        public Value Params;
        public Value Timestamp;
    }

    /// <summary>The properties read in one object (the root of a bare event, or <c>params</c>).</summary>
    private struct Properties
    {
        public Value EventType;
        public Value CallId;
        public Value ControlId;
        public Value CallState;
        public Value State;

        /// <summary>Where the value of the property the reader is on goes; a null ref for a property Playback does not read.</summary>
        [UnscopedRef]
        public ref Value Slot(ref Utf8JsonReader reader, out bool isParams, out bool isTimestamp)
        {
            isParams = reader.ValueTextEquals("params"u8);
            isTimestamp = !isParams && reader.ValueTextEquals("timestamp"u8);
            if (reader.ValueTextEquals("event_type"u8))
            {
                return ref EventType;
            }

            if (reader.ValueTextEquals("call_id"u8))
            {
                return ref CallId;
            }

            if (reader.ValueTextEquals("control_id"u8))
            {
                return ref ControlId;
            }

            if (reader.ValueTextEquals("call_state"u8))
            {
                return ref CallState;
            }

            if (reader.ValueTextEquals("state"u8))
            {
                return ref State;
            }

            return ref Unsafe.NullRef<Value>();
        }
    }
}
