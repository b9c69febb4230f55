namespace Playback;

/// <summary>The settings are incomplete or wrong; the message lists every problem at once.</summary>
public sealed class PlaybackConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problems">Each problem, naming the setting and where it comes from.</param>
    public PlaybackConfigurationException(IReadOnlyList<string> problems)
        : base("Playback settings are invalid: " + string.Join("; ", problems) + ".")
    {
        Problems = problems;
    }

    /// <summary>The problems, one per setting.</summary>
    public IReadOnlyList<string> Problems { get; }
}
