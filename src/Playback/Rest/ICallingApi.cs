namespace Playback;

/// <summary>The Calling API's play commands, one async method per command. Success means the API accepted the command (2xx).</summary>
/// <remarks>Substitute it to test code that uses Playback without HTTP; <see cref="CallingApi"/> is the real one.</remarks>
public interface ICallingApi
{
    /// <summary>Sends <c>calling.play</c>.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The play's control id (reused unchanged when the request is retried).</param>
    /// <param name="media">The media list, already validated.</param>
    /// <param name="options">The play's options; <see cref="PlayOptions.WhenBusy"/> is not sent.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the API has accepted the command.</returns>
    /// <exception cref="CallingApiException">The API refused the command or could not be reached; <see cref="CallGoneException"/> for 404.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task PlayAsync(string callId, string controlId, IReadOnlyList<MediaItem> media, PlayOptions options, CancellationToken cancellationToken);

    /// <summary>Sends <c>calling.play.pause</c>.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The play.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the API has accepted the command.</returns>
    /// <exception cref="CallingApiException">The API refused the command or could not be reached.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task PauseAsync(string callId, string controlId, CancellationToken cancellationToken);

    /// <summary>Sends <c>calling.play.resume</c>.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The play.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the API has accepted the command.</returns>
    /// <exception cref="CallingApiException">The API refused the command or could not be reached.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task ResumeAsync(string callId, string controlId, CancellationToken cancellationToken);

    /// <summary>Sends <c>calling.play.stop</c>.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The play.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the API has accepted the command.</returns>
    /// <exception cref="CallingApiException">The API refused the command or could not be reached.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task StopAsync(string callId, string controlId, CancellationToken cancellationToken);

    /// <summary>Sends <c>calling.play.volume</c> with a new absolute level.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The play.</param>
    /// <param name="volume">The new level in dB, -40 to 40.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the API has accepted the command.</returns>
    /// <exception cref="CallingApiException">The API refused the command or could not be reached.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task SetVolumeAsync(string callId, string controlId, double volume, CancellationToken cancellationToken);
}
