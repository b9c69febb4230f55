using System.Collections.Concurrent;
using Playback;

/// <summary>
/// Which calls this service may act on. With the embedded emulator every call is created here (<c>POST /calls</c>), so an
/// id it never created is unknown and one it hung up is ended: both are answered 404 before anything is sent. Against a
/// real space calls are created elsewhere: every well-formed id is tried, and a call the Calling API reported gone
/// (<see cref="CallGoneException"/>) is remembered as ended.
/// </summary>
internal sealed class CallDirectory(bool knowsEveryCall)
{
    private const int MaxRemembered = 10_000;
    private readonly ConcurrentDictionary<string, bool> _ended = new(StringComparer.Ordinal);

    /// <summary>A call created in the embedded emulator.</summary>
    public void Created(string callId) => _ended[callId] = false;

    /// <summary>A call that ended (hung up here, or reported gone by the Calling API).</summary>
    public void Ended(string callId)
    {
        if (_ended.Count >= MaxRemembered && !_ended.ContainsKey(callId))
        {
            return; // a bounded memory: beyond it, the Calling API's 404 still tells
        }

        _ended[callId] = true;
    }

    /// <summary>
    /// Null when commands for the call may be sent; otherwise the problem to answer: 400 for an id Playback refuses (empty,
    /// over 128 characters, control characters), 404 for an unknown or ended call.
    /// </summary>
    public IResult? Check(PlaybackManager playback, string callId)
    {
        try
        {
            playback.Snapshot(callId); // Playback's own call id rules
        }
        catch (ArgumentException e)
        {
            return Problems.BadRequest(e.Message);
        }

        if (_ended.TryGetValue(callId, out var ended))
        {
            return ended ? Problems.NotFound($"Call {callId} has ended.") : null;
        }

        return knowsEveryCall ? Problems.NotFound($"Call {callId} is unknown.") : null;
    }
}
