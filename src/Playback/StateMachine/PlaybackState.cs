namespace Playback;

/// <summary>The state of one playback.</summary>
public enum PlaybackState
{
    /// <summary>Waiting behind the call's current playback (<see cref="PlayConflict.Enqueue"/>); nothing sent yet.</summary>
    Queued,

    /// <summary><c>calling.play</c> has been sent and not yet acknowledged.</summary>
    Starting,

    /// <summary>Playing.</summary>
    Playing,

    /// <summary>Paused; resume continues where it stopped.</summary>
    Paused,

    /// <summary>Terminal: played to the end.</summary>
    Finished,

    /// <summary>Terminal: stopped by a command (or replaced, or stopped while queued).</summary>
    Stopped,

    /// <summary>Terminal: rejected by the API, reported as an error, or the call went away.</summary>
    Failed,
}

/// <summary>Helpers on <see cref="PlaybackState"/>.</summary>
public static class PlaybackStateExtensions
{
    /// <summary>Whether the state is terminal (<see cref="PlaybackState.Finished"/>, <see cref="PlaybackState.Stopped"/> or <see cref="PlaybackState.Failed"/>); terminal states never change.</summary>
    /// <param name="state">The state.</param>
    /// <returns>True when terminal.</returns>
    public static bool IsTerminal(this PlaybackState state) => state is PlaybackState.Finished or PlaybackState.Stopped or PlaybackState.Failed;

    /// <summary>Whether the playback holds the call's media channel (<see cref="PlaybackState.Starting"/>, <see cref="PlaybackState.Playing"/> or <see cref="PlaybackState.Paused"/>).</summary>
    /// <param name="state">The state.</param>
    /// <returns>True when active.</returns>
    public static bool IsActive(this PlaybackState state) => state is PlaybackState.Starting or PlaybackState.Playing or PlaybackState.Paused;
}
