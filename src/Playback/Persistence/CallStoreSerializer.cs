using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using SerializationException = System.Runtime.Serialization.SerializationException;

namespace Playback;

/// <summary>
/// Writes the journal's events and snapshots (<see cref="CallChange"/>) as compact JSON: readable in the database, and
/// independent of .NET type names, so that a later version of Playback reads what an earlier one wrote. Media are stored in
/// their wire form (<see cref="MediaJson"/>).
/// </summary>
internal sealed class CallStoreSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>The id this serializer is bound with in the persistence HOCON.</summary>
    public const int Id = 4711;

    private const string ChangeManifest = "call-change.v1";

    private static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public override int Identifier => Id;

    public override string Manifest(object o) => o is CallChange ? ChangeManifest : throw new ArgumentException($"{o.GetType()} is not a Playback store type.", nameof(o));

    public override byte[] ToBinary(object obj) =>
        obj is CallChange change ? JsonSerializer.SerializeToUtf8Bytes(ToStored(change), Options) : throw new ArgumentException($"{obj.GetType()} is not a Playback store type.", nameof(obj));

    public override object FromBinary(byte[] bytes, string manifest) =>
        manifest == ChangeManifest
            ? FromStored(JsonSerializer.Deserialize<StoredChange>(bytes, Options) ?? throw new SerializationException("Empty Playback store record."))
            : throw new SerializationException($"Unknown Playback store record '{manifest}'.");

    internal static StoredChange ToStored(CallChange c) => new()
    {
        Call = c.CallId,
        Full = c.Full,
        Upserted = c.Upserted.IsEmpty ? null : c.Upserted.Select(ToStored).ToArray(),
        Removed = c.Removed.IsEmpty ? null : c.Removed.ToArray(),
        Queue = c.Queue?.ToArray(),
        Ended = c.Ended?.ToArray(),
        InFlightChanged = c.InFlightChanged,
        InFlight = c.InFlight is { } f
            ? new StoredFlight { Request = ToStored(f.Request), HasCaller = f.HasCaller, Settles = f.Settles, WatchdogStop = f.WatchdogStop, Confirmed = f.Confirmed, Error = f.Settles ? f.Error?.Message : null }
            : null,
        PendingReplaceChanged = c.PendingReplaceChanged,
        PendingReplace = c.PendingReplace,
        GoneChanged = c.GoneChanged,
        Gone = c.GoneReason,
    };

    internal static CallChange FromStored(StoredChange s) => new(s.Call ?? throw new SerializationException("A Playback store record has no call id."))
    {
        Full = s.Full,
        Upserted = s.Upserted?.Select(FromStored).ToImmutableArray() ?? ImmutableArray<PlaybackEntry>.Empty,
        Removed = s.Removed?.ToImmutableArray() ?? ImmutableArray<string>.Empty,
        Queue = s.Queue?.ToImmutableList(),
        Ended = s.Ended?.ToImmutableList(),
        InFlightChanged = s.InFlightChanged,
        // The caller of a recovered request is gone: it has no caller. A settling stop keeps the words of why it settles (the
        // play's failure), which become the playback's reason once it is answered.
        InFlight = s.InFlight is { } f ? Recovered(s.Call!, f) : null,
        PendingReplaceChanged = s.PendingReplaceChanged,
        PendingReplace = s.PendingReplace,
        GoneChanged = s.GoneChanged,
        GoneReason = s.Gone,
    };

    private static InFlightRequest Recovered(string callId, StoredFlight f)
    {
        var request = FromStored(f.Request!);
        return new InFlightRequest(request, HasCaller: false)
        {
            Settles = f.Settles,
            WatchdogStop = f.WatchdogStop,
            Confirmed = f.Confirmed,
            Error = f.Settles && f.Error is { } why ? new PlaybackStateException(why, callId, request.ControlId, null) : null,
        };
    }

    private static StoredEntry ToStored(PlaybackEntry e) => new()
    {
        Id = e.ControlId, State = e.State, Volume = e.Volume, Reason = e.Reason,
        Media = e.Media.IsEmpty ? null : JsonDocument.Parse(MediaJson.Serialize(e.Media)).RootElement,
        Options = e.Options, StopSent = e.StopSent, LastAckAt = e.LastAckAt, Heard = e.Heard, Settling = e.Settling,
        Unconfirmed = e.Unconfirmed, LastEventAt = e.LastEventAt,
    };

    private static PlaybackEntry FromStored(StoredEntry s) =>
        new(s.Id!, s.State, s.Volume, s.Reason, s.Media is { } m ? MediaJson.Parse(m).ToImmutableArray() : ImmutableArray<MediaItem>.Empty, s.Options ?? PlayOptions.Default)
        {
            StopSent = s.StopSent, LastAckAt = s.LastAckAt, Heard = s.Heard, Settling = s.Settling, Unconfirmed = s.Unconfirmed, LastEventAt = s.LastEventAt,
        };

    private static StoredRequest ToStored(ApiRequest r) => new()
    {
        Command = r.Command, Id = r.ControlId, Media = r.Media.IsEmpty ? null : JsonDocument.Parse(MediaJson.Serialize(r.Media)).RootElement,
        Options = r.Options, Volume = r.Volume,
    };

    private static ApiRequest FromStored(StoredRequest s) => new(s.Command, s.Id!)
    {
        Media = s.Media is { } m ? MediaJson.Parse(m).ToImmutableArray() : ImmutableArray<MediaItem>.Empty, Options = s.Options, Volume = s.Volume,
    };

    internal sealed class StoredChange
    {
        [JsonPropertyName("call")] public string? Call { get; set; }
        [JsonPropertyName("full")] public bool Full { get; set; }
        [JsonPropertyName("up")] public StoredEntry[]? Upserted { get; set; }
        [JsonPropertyName("rm")] public string[]? Removed { get; set; }
        [JsonPropertyName("queue")] public string[]? Queue { get; set; }
        [JsonPropertyName("ended")] public string[]? Ended { get; set; }
        [JsonPropertyName("flight_set")] public bool InFlightChanged { get; set; }
        [JsonPropertyName("flight")] public StoredFlight? InFlight { get; set; }
        [JsonPropertyName("replace_set")] public bool PendingReplaceChanged { get; set; }
        [JsonPropertyName("replace")] public string? PendingReplace { get; set; }
        [JsonPropertyName("gone_set")] public bool GoneChanged { get; set; }
        [JsonPropertyName("gone")] public string? Gone { get; set; }
    }

    internal sealed class StoredEntry
    {
        [JsonPropertyName("id")] public string? Id { get; set; }
        [JsonPropertyName("state")] public PlaybackState State { get; set; }
        [JsonPropertyName("volume")] public double Volume { get; set; }
        [JsonPropertyName("reason")] public string? Reason { get; set; }
        [JsonPropertyName("media")] public JsonElement? Media { get; set; }
        [JsonPropertyName("options")] public PlayOptions? Options { get; set; }
        [JsonPropertyName("stop_sent")] public bool StopSent { get; set; }
        [JsonPropertyName("ack_at")] public DateTimeOffset? LastAckAt { get; set; }
        [JsonPropertyName("heard")] public bool Heard { get; set; }
        [JsonPropertyName("settling")] public bool Settling { get; set; }
        [JsonPropertyName("unconfirmed")] public bool Unconfirmed { get; set; }
        [JsonPropertyName("event_at")] public DateTimeOffset? LastEventAt { get; set; }
    }

    internal sealed class StoredFlight
    {
        [JsonPropertyName("request")] public StoredRequest? Request { get; set; }
        [JsonPropertyName("caller")] public bool HasCaller { get; set; }
        [JsonPropertyName("settles")] public bool Settles { get; set; }
        [JsonPropertyName("watchdog")] public bool WatchdogStop { get; set; }
        [JsonPropertyName("confirmed")] public bool Confirmed { get; set; }
        [JsonPropertyName("error")] public string? Error { get; set; }
    }

    internal sealed class StoredRequest
    {
        [JsonPropertyName("command")] public ApiCommand Command { get; set; }
        [JsonPropertyName("id")] public string? Id { get; set; }
        [JsonPropertyName("media")] public JsonElement? Media { get; set; }
        [JsonPropertyName("options")] public PlayOptions? Options { get; set; }
        [JsonPropertyName("volume")] public double Volume { get; set; }
    }
}
