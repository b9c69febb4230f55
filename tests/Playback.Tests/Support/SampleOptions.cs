namespace Playback.Tests;

/// <summary>Play options shared by the tests that need every option set at once.</summary>
internal static class SampleOptions
{
    /// <summary>Every <see cref="PlayOptions"/> property set: volume -3.5, en-GB, Polly.Amy, female, a status URL, replace when busy.</summary>
    public static PlayOptions EveryOptionSet(string controlId, PlayDirection direction, int loop) => new()
    {
        ControlId = controlId,
        Volume = -3.5,
        Direction = direction,
        Loop = loop,
        Language = "en-GB",
        Voice = "Polly.Amy",
        Gender = TtsGender.Female,
        StatusUrl = new Uri("https://hooks.example.com/status"),
        WhenBusy = PlayConflict.Replace,
    };
}
