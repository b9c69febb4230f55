using System.Globalization;
using System.Text.Json;

namespace Playback;

/// <summary>
/// Parses <c>calling.call.play</c> and <c>calling.call.state</c> webhooks, enveloped or bare, into call messages, in one
/// pass of a <see cref="Utf8JsonReader"/> over the whole body (which validates it all, as <see cref="JsonDocument"/>
/// would): no document is built, and only the values used become strings. A repeated property counts by its last
/// occurrence, as with <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>.
/// </summary>
internal static partial class WebhookParser
{
    public const string PlayEvent = "calling.call.play";
    public const string StateEvent = "calling.call.state";

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 32 };

    /// <summary>The parsed message, or the result to return without routing.</summary>
    public static (IWithCallId? Message, WebhookResult? Result) Parse(ReadOnlyMemory<byte> body)
    {
        Fields fields;
        try
        {
            if (!Scan(body.Span, out fields))
            {
                return (null, WebhookResult.Rejected("the body must be a JSON object"));
            }
        }
        catch (JsonException e)
        {
            return (null, WebhookResult.Rejected("malformed JSON: " + e.Message));
        }

        try
        {
            return Parse(body.Span, fields);
        }
        catch (InvalidOperationException e)
        {
            // The reader checks the structure only: a string holding invalid UTF-8 or an escaped lone surrogate throws when
            // it is read.
            return (null, WebhookResult.Rejected("malformed JSON: " + e.Message));
        }
    }

    private static (IWithCallId? Message, WebhookResult? Result) Parse(ReadOnlySpan<byte> json, in Fields fields)
    {
        var root = fields.Root;
        bool? play = null;
        if (root.EventType.IsPresent)
        {
            if (root.EventType.Type != JsonTokenType.String)
            {
                return (null, WebhookResult.Rejected("event_type must be a string"));
            }

            ThrowIfNotText(json, root.EventType);

            play = Is(json, root.EventType, PlayEvent) ? true : Is(json, root.EventType, StateEvent) ? false : null;
        }

        var parameters = root;
        if (fields.Params.IsPresent)
        {
            if (fields.Params.Type != JsonTokenType.StartObject)
            {
                return (null, WebhookResult.Rejected("params must be an object"));
            }

            parameters = fields.InParams;
        }
        else if (root.EventType.IsPresent)
        {
            return (null, WebhookResult.Rejected("params is missing"));
        }

        play ??= root.EventType.IsPresent ? null : parameters.ControlId.IsPresent ? true : parameters.CallState.IsPresent ? false : null;
        if (play is null)
        {
            var eventType = root.EventType.IsPresent ? String(json, root.EventType) : "(none)";
            return (null, WebhookResult.Ignored($"event type {eventType} is not used by Playback"));
        }

        var timestamp = ReadTimestamp(json, fields.Timestamp, out var badTimestamp);
        if (badTimestamp is not null)
        {
            return (null, WebhookResult.Rejected(badTimestamp));
        }

        if (!TryString(json, parameters.CallId, "call_id", out var callId, out var error))
        {
            return (null, WebhookResult.Rejected(error));
        }

        if (play == false)
        {
            return TryString(json, parameters.CallState, "call_state", out var callState, out error)
                ? (new CallStateReceived(callId, ReportedStates.ParseCall(callState), timestamp), null)
                : (null, WebhookResult.Rejected(error));
        }

        if (!TryString(json, parameters.ControlId, "control_id", out var controlId, out error) || !TryString(json, parameters.State, "state", out var state, out error))
        {
            return (null, WebhookResult.Rejected(error));
        }

        if (!ReportedStates.TryParsePlay(state, out var reported))
        {
            return (null, WebhookResult.Ignored($"unknown play state {state}"));
        }

        return (new PlayStatusReceived(callId, controlId, reported, timestamp), null);
    }

    private static bool Is(ReadOnlySpan<byte> json, Value value, string expected)
    {
        var reader = At(json, value);
        return reader.ValueTextEquals(expected);
    }

    private static string String(ReadOnlySpan<byte> json, Value value) => At(json, value).GetString()!;

    /// <summary>Throws <see cref="InvalidOperationException"/>, as reading it would, when a string holds invalid UTF-8 or a lone surrogate.</summary>
    private static void ThrowIfNotText(ReadOnlySpan<byte> json, Value value)
    {
        var reader = At(json, value);
        var length = reader.ValueSpan.Length;
        reader.CopyString(length <= 128 ? stackalloc char[128] : new char[length]);
    }

    private static Utf8JsonReader At(ReadOnlySpan<byte> json, Value value)
    {
        var reader = new Utf8JsonReader(json[value.Start..], Options);
        reader.Read();
        return reader;
    }

    private static bool TryString(ReadOnlySpan<byte> json, Value value, string name, out string text, out string error)
    {
        text = string.Empty;
        error = string.Empty;
        if (!value.IsPresent || value.Type != JsonTokenType.String || string.IsNullOrWhiteSpace(text = String(json, value)))
        {
            error = $"params.{name} is missing or not a non-empty string";
            return false;
        }

        return true;
    }

    private static DateTimeOffset? ReadTimestamp(ReadOnlySpan<byte> json, Value value, out string? error)
    {
        error = null;
        if (!value.IsPresent || value.Type == JsonTokenType.Null)
        {
            return null;
        }

        var timestamp = value.Type switch
        {
            JsonTokenType.Number => At(json, value).TryGetDouble(out var seconds) ? FromEpochSeconds(seconds) : null,
            JsonTokenType.String => FromText(String(json, value)),
            _ => null,
        };
        if (timestamp is not null)
        {
            return timestamp;
        }

        error = "timestamp must be epoch seconds or an ISO 8601 time";
        return null;
    }

    /// <summary>A time given in epoch seconds, or null when it is not one (not finite, negative, or past the year 9999).</summary>
    internal static DateTimeOffset? FromEpochSeconds(double seconds) =>
        double.IsFinite(seconds) && seconds is >= 0 and < 253402300799 ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)) : null;

    /// <summary>A time given as text: epoch seconds, else an ISO 8601 time (UTC when it has no offset); null when it is neither.</summary>
    internal static DateTimeOffset? FromText(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && FromEpochSeconds(seconds) is { } time ? time
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed
        : null;
}
