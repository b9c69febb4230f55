using System.Text.Json;

namespace Playback.Tests;

/// <summary>The parser as it was on <see cref="JsonDocument"/>: the reference <see cref="WebhookParser"/> must agree with.</summary>
internal static class DocumentWebhookParser
{
    private const string PlayEvent = WebhookParser.PlayEvent;
    private const string StateEvent = WebhookParser.StateEvent;

    /// <summary>The parsed message, or the result to return without routing.</summary>
    public static (IWithCallId? Message, WebhookResult? Result) Parse(ReadOnlyMemory<byte> body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            return (null, WebhookResult.Rejected("malformed JSON: " + e.Message));
        }

        using (doc)
        {
            try
            {
                return Parse(doc.RootElement);
            }
            catch (InvalidOperationException e)
            {
                // JsonDocument checks the structure only: a string holding invalid UTF-8 or an escaped lone surrogate
                // throws when it is read.
                return (null, WebhookResult.Rejected("malformed JSON: " + e.Message));
            }
        }
    }

    private static (IWithCallId? Message, WebhookResult? Result) Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, WebhookResult.Rejected("the body must be a JSON object"));
        }

        string? eventType = null;
        if (root.TryGetProperty("event_type", out var typeElement))
        {
            if (typeElement.ValueKind != JsonValueKind.String)
            {
                return (null, WebhookResult.Rejected("event_type must be a string"));
            }

            eventType = typeElement.GetString();
        }

        var parameters = root;
        if (root.TryGetProperty("params", out var p))
        {
            if (p.ValueKind != JsonValueKind.Object)
            {
                return (null, WebhookResult.Rejected("params must be an object"));
            }

            parameters = p;
        }
        else if (eventType is not null)
        {
            return (null, WebhookResult.Rejected("params is missing"));
        }

        eventType ??= parameters.TryGetProperty("control_id", out _) ? PlayEvent
            : parameters.TryGetProperty("call_state", out _) ? StateEvent
            : null;
        if (eventType is not PlayEvent and not StateEvent)
        {
            return (null, WebhookResult.Ignored($"event type {eventType ?? "(none)"} is not used by Playback"));
        }

        var timestamp = ReadTimestamp(root, out var badTimestamp);
        if (badTimestamp is not null)
        {
            return (null, WebhookResult.Rejected(badTimestamp));
        }

        if (!TryString(parameters, "call_id", out var callId, out var error))
        {
            return (null, WebhookResult.Rejected(error));
        }

        if (eventType == StateEvent)
        {
            return TryString(parameters, "call_state", out var callState, out error)
                ? (new CallStateReceived(callId, ReportedStates.ParseCall(callState), timestamp), null)
                : (null, WebhookResult.Rejected(error));
        }

        if (!TryString(parameters, "control_id", out var controlId, out error) || !TryString(parameters, "state", out var state, out error))
        {
            return (null, WebhookResult.Rejected(error));
        }

        if (!ReportedStates.TryParsePlay(state, out var reported))
        {
            return (null, WebhookResult.Ignored($"unknown play state {state}"));
        }

        return (new PlayStatusReceived(callId, controlId, reported, timestamp), null);
    }

    private static bool TryString(JsonElement obj, string name, out string value, out string error)
    {
        value = string.Empty;
        error = string.Empty;
        if (!obj.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(element.GetString()))
        {
            error = $"params.{name} is missing or not a non-empty string";
            return false;
        }

        value = element.GetString()!;
        return true;
    }

    private static DateTimeOffset? ReadTimestamp(JsonElement root, out string? error)
    {
        error = null;
        if (!root.TryGetProperty("timestamp", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // The conversions themselves are shared: what is compared is which value is read, and when it is refused.
        var timestamp = element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetDouble(out var seconds) ? WebhookParser.FromEpochSeconds(seconds) : null,
            JsonValueKind.String => WebhookParser.FromText(element.GetString()),
            _ => null,
        };
        if (timestamp is not null)
        {
            return timestamp;
        }

        error = "timestamp must be epoch seconds or an ISO 8601 time";
        return null;
    }
}
