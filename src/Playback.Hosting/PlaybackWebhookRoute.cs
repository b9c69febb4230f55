namespace Playback.Hosting;

/// <summary>Where <c>MapPlaybackWebhooks</c> mapped the endpoint, so that plays can default their status_url to it.</summary>
internal sealed class PlaybackWebhookRoute
{
    private string? _path;

    public string? Path
    {
        get => Volatile.Read(ref _path);
        set => Volatile.Write(ref _path, value);
    }
}
