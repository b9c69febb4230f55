using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace Playback;

/// <summary>
/// Serializes the messages Playback sends between nodes (commands, acknowledgments, replies with their errors, webhooks,
/// webhook results, events, handoffs) as JSON with System.Text.Json, one manifest per message. The message records are
/// written as they are (media items through their own wire converter); errors travel as their type and data and are
/// rebuilt as the same exception types. Bound in <c>hocon/cluster.conf</c>.
/// </summary>
internal sealed class PlaybackClusterSerializer : SerializerWithStringManifest
{
    private const string Play = "play";
    private const string Pause = "pause";
    private const string Resume = "resume";
    private const string Stop = "stop";
    private const string Volume = "volume";
    private const string Received = "ack";
    private const string Succeeded = "ok";
    private const string Failed = "fail";
    private const string PlayStatus = "play-status";
    private const string CallStatus = "call-state";
    private const string Webhook = "webhook-result";
    private const string Event = "event";
    private const string Handoff = "handoff";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Creates the serializer (Akka does, from configuration).</summary>
    /// <param name="system">The actor system.</param>
    public PlaybackClusterSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <summary>The serializer's id, as bound in <c>serialization-identifiers</c>.</summary>
    public override int Identifier => 7301;

    /// <summary>The manifest of a Playback message.</summary>
    /// <param name="o">The message.</param>
    /// <returns>Its manifest.</returns>
    /// <exception cref="ArgumentException">Not a message this serializer handles.</exception>
    public override string Manifest(object o) => o switch
    {
        StartPlay => Play,
        PausePlay => Pause,
        ResumePlay => Resume,
        StopPlay => Stop,
        ChangeVolume => Volume,
        CommandReceived => Received,
        CommandSucceeded => Succeeded,
        CommandFailed => Failed,
        PlayStatusReceived => PlayStatus,
        CallStateReceived => CallStatus,
        WebhookResult => Webhook,
        PlaybackEvent => Event,
        CallHandoff => Handoff,
        _ => throw new ArgumentException($"PlaybackClusterSerializer cannot serialize {o?.GetType().FullName ?? "null"}.", nameof(o)),
    };

    /// <summary>Writes a message.</summary>
    /// <param name="obj">The message.</param>
    /// <returns>Its UTF-8 JSON.</returns>
    /// <exception cref="ArgumentException">Not a message this serializer handles.</exception>
    public override byte[] ToBinary(object obj) => obj switch
    {
        CommandReceived => [],
        CommandFailed failed => Write(ErrorDto.From(failed.Error)),
        CommandSucceeded ok => Write(ok.Playback),
        StartPlay or PausePlay or ResumePlay or StopPlay or ChangeVolume or PlayStatusReceived or CallStateReceived or WebhookResult or PlaybackEvent or CallHandoff => Write(obj, obj.GetType()),
        _ => throw new ArgumentException($"PlaybackClusterSerializer cannot serialize {obj?.GetType().FullName ?? "null"}.", nameof(obj)),
    };

    /// <summary>Reads a message.</summary>
    /// <param name="bytes">Its UTF-8 JSON.</param>
    /// <param name="manifest">Its manifest.</param>
    /// <returns>The message.</returns>
    /// <exception cref="System.Runtime.Serialization.SerializationException">Unknown manifest or malformed payload.</exception>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            return manifest switch
            {
                Play => Read<StartPlay>(bytes),
                Pause => Read<PausePlay>(bytes),
                Resume => Read<ResumePlay>(bytes),
                Stop => Read<StopPlay>(bytes),
                Volume => Read<ChangeVolume>(bytes),
                Received => CommandReceived.Instance,
                Succeeded => new CommandSucceeded(Read<PlaybackSnapshot>(bytes)),
                Failed => new CommandFailed(Read<ErrorDto>(bytes).ToException()),
                PlayStatus => Read<PlayStatusReceived>(bytes),
                CallStatus => Read<CallStateReceived>(bytes),
                Webhook => Read<WebhookResult>(bytes),
                Event => Read<PlaybackEvent>(bytes),
                Handoff => Read<CallHandoff>(bytes),
                _ => throw new System.Runtime.Serialization.SerializationException($"Unknown Playback message manifest '{manifest}'."),
            };
        }
        catch (JsonException e)
        {
            throw new System.Runtime.Serialization.SerializationException($"Malformed Playback message '{manifest}': {e.Message}", e);
        }
    }

    private static byte[] Write<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Json);

    private static byte[] Write(object value, Type type) => JsonSerializer.SerializeToUtf8Bytes(value, type, Json);

    private static T Read<T>(byte[] bytes) =>
        JsonSerializer.Deserialize<T>(bytes, Json) ?? throw new JsonException($"{typeof(T).Name} was null.");

    private enum ErrorKind
    {
        State,
        Shutdown,
        Moved,
        NodeLost,
        Api,
        Gone,
    }

    private sealed record ErrorDto(
        ErrorKind Kind,
        string Message,
        string? CallId,
        string? ControlId,
        PlaybackState? State = null,
        string? Command = null,
        int? StatusCode = null,
        string? ServerMessage = null,
        List<CallingApiError>? Errors = null,
        string? RequestId = null,
        bool IsTransient = false,
        TimeSpan? RetryAfter = null,
        bool MayHaveBeenApplied = false)
    {
        public static ErrorDto From(PlaybackException e) => (e switch
        {
            PlaybackStateException s => new ErrorDto(ErrorKind.State, s.Message, s.CallId, s.ControlId, State: s.State),
            PlaybackShutdownException s => new(ErrorKind.Shutdown, s.Message, s.CallId, s.ControlId),
            PlaybackMovedException m => new(ErrorKind.Moved, m.Message, m.CallId, m.ControlId),
            PlaybackNodeLostException l => new(ErrorKind.NodeLost, l.Message, l.CallId, l.ControlId),
            CallGoneException g => new(ErrorKind.Gone, g.Message, g.CallId, g.ControlId, Command: g.Command, StatusCode: g.StatusCode, ServerMessage: g.ServerMessage, RequestId: g.RequestId),
            CallingApiException a => new(ErrorKind.Api, a.Message, a.CallId, a.ControlId, Command: a.Command, StatusCode: a.StatusCode, ServerMessage: a.ServerMessage, Errors: a.Errors.ToList(), RequestId: a.RequestId, IsTransient: a.IsTransient, RetryAfter: a.RetryAfter),
            _ => new(ErrorKind.Shutdown, $"{e.GetType().Name}: {e.Message}", e.CallId, e.ControlId),
        }) with { MayHaveBeenApplied = e.MayHaveBeenApplied };

        public PlaybackException ToException() => Kind switch
        {
            ErrorKind.State => new PlaybackStateException(Message, CallId ?? string.Empty, ControlId, State),
            ErrorKind.Moved => new PlaybackMovedException(Message, CallId, ControlId),
            ErrorKind.NodeLost => new PlaybackNodeLostException(Message, CallId, ControlId),
            ErrorKind.Gone => new CallGoneException(Command ?? string.Empty, CallId ?? string.Empty, ControlId, StatusCode, ServerMessage, RequestId) { MayHaveBeenApplied = MayHaveBeenApplied },
            ErrorKind.Api => new CallingApiException(Command ?? string.Empty, CallId ?? string.Empty, ControlId, StatusCode, ServerMessage, Errors, RequestId, IsTransient, RetryAfter) { MayHaveBeenApplied = MayHaveBeenApplied },
            _ => new PlaybackShutdownException(Message, CallId, ControlId) { MayHaveBeenApplied = MayHaveBeenApplied },
        };
    }
}
