namespace Playback;

/// <summary>The bounded tag values of commands: the command's name and its outcome, mapped from the errors Playback reports.</summary>
internal static class CommandOutcome
{
    public const string Success = "success";
    public const string Invalid = "invalid";
    public const string StateError = "state_error";
    public const string ApiError = "api_error";
    public const string CallGone = "call_gone";
    public const string Timeout = "timeout";
    public const string Canceled = "canceled";
    public const string Shutdown = "shutdown";
    public const string StoreError = "store_error";

    /// <summary>Every outcome, in the order of the README.</summary>
    public static readonly IReadOnlyList<string> All = [Success, Invalid, StateError, ApiError, CallGone, Timeout, Canceled, Shutdown, StoreError];

    /// <summary>
    /// The outcome of a command that ended with <paramref name="error"/> (null: success). Only the exception's type decides,
    /// never its message. In a cluster, a command not run because the call's node left (<see cref="PlaybackMovedException"/>)
    /// or lost with its node (<see cref="PlaybackNodeLostException"/>) counts as <c>shutdown</c>; an error of no known kind as
    /// <c>api_error</c>.
    /// </summary>
    public static string Of(Exception? error) => error switch
    {
        null => Success,
        ArgumentException or PlaybackConfigurationException => Invalid,
        PlaybackStateException => StateError,
        PlaybackStoreException => StoreError,
        CallGoneException => CallGone,
        CallingApiException => ApiError,
        TimeoutException => Timeout,
        PlaybackShutdownException or PlaybackMovedException or PlaybackNodeLostException or ObjectDisposedException => Shutdown,
        OperationCanceledException => Canceled,
        _ => ApiError,
    };

    /// <summary>The <c>playback.command</c> tag of a wire command name (<c>calling.play.pause</c> → <c>pause</c>).</summary>
    public static string CommandTag(string wireName) => wireName switch
    {
        CallingApi.Commands.Play => "play",
        CallingApi.Commands.Pause => "pause",
        CallingApi.Commands.Resume => "resume",
        CallingApi.Commands.Volume => "volume",
        CallingApi.Commands.Stop => "stop",
        _ => "other",
    };
}
