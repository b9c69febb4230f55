namespace Playback;

/// <summary>Wire spellings of the enums.</summary>
internal static class WireNames
{
    public static string? Of(TtsGender? gender) => gender switch
    {
        null => null,
        TtsGender.Male => "male",
        TtsGender.Female => "female",
        _ => throw new ArgumentOutOfRangeException(nameof(gender)),
    };

    public static string? Of(PlayDirection? direction) => direction switch
    {
        null => null,
        PlayDirection.Listen => "listen",
        PlayDirection.Speak => "speak",
        PlayDirection.Both => "both",
        _ => throw new ArgumentOutOfRangeException(nameof(direction)),
    };

    /// <summary>The command's name on the wire (<see cref="CallingApi.Commands"/>).</summary>
    public static string Of(ApiCommand command) => command switch
    {
        ApiCommand.Play => CallingApi.Commands.Play,
        ApiCommand.Pause => CallingApi.Commands.Pause,
        ApiCommand.Resume => CallingApi.Commands.Resume,
        ApiCommand.Stop => CallingApi.Commands.Stop,
        ApiCommand.Volume => CallingApi.Commands.Volume,
        _ => throw new ArgumentOutOfRangeException(nameof(command)),
    };
}
