namespace Playback;

/// <summary>A playback's state as a <c>calling.call.play</c> webhook reports it (<c>params.state</c>).</summary>
internal enum ReportedPlayState
{
    /// <summary><c>playing</c>.</summary>
    Playing,

    /// <summary><c>paused</c>.</summary>
    Paused,

    /// <summary><c>finished</c>: played to the end, or stopped.</summary>
    Finished,

    /// <summary><c>error</c>.</summary>
    Error,
}

/// <summary>A call's state as a <c>calling.call.state</c> webhook reports it (<c>params.call_state</c>).</summary>
internal enum ReportedCallState
{
    /// <summary>A state Playback does not know; it changes nothing.</summary>
    Unrecognized,

    /// <summary><c>created</c>.</summary>
    Created,

    /// <summary><c>ringing</c>.</summary>
    Ringing,

    /// <summary><c>answered</c>.</summary>
    Answered,

    /// <summary><c>ending</c>.</summary>
    Ending,

    /// <summary><c>ended</c>: every playback of the call ends.</summary>
    Ended,
}

/// <summary>The wire spellings of the reported states (docs/protocol.md).</summary>
internal static class ReportedStates
{
    /// <summary>Reads a play state; false for a state Playback does not know.</summary>
    public static bool TryParsePlay(string wire, out ReportedPlayState state)
    {
        (var known, state) = wire switch
        {
            "playing" => (true, ReportedPlayState.Playing),
            "paused" => (true, ReportedPlayState.Paused),
            "finished" => (true, ReportedPlayState.Finished),
            "error" => (true, ReportedPlayState.Error),
            _ => (false, default),
        };
        return known;
    }

    /// <summary>Reads a call state; <see cref="ReportedCallState.Unrecognized"/> for one Playback does not know.</summary>
    public static ReportedCallState ParseCall(string wire) => wire switch
    {
        "created" => ReportedCallState.Created,
        "ringing" => ReportedCallState.Ringing,
        "answered" => ReportedCallState.Answered,
        "ending" => ReportedCallState.Ending,
        "ended" => ReportedCallState.Ended,
        _ => ReportedCallState.Unrecognized,
    };

    /// <summary>The wire spelling of a play state.</summary>
    public static string Wire(this ReportedPlayState state) => state switch
    {
        ReportedPlayState.Playing => "playing",
        ReportedPlayState.Paused => "paused",
        ReportedPlayState.Finished => "finished",
        _ => "error",
    };
}
