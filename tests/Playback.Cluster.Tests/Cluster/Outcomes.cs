namespace Playback.Cluster.Tests;

internal static class Outcomes
{
    /// <summary>"ok", or the exception's type name: every command must end in exactly one of these.</summary>
    public static async Task<string> Of(Func<Task> command)
    {
        try
        {
            await command();
            return "ok";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }

    public static async Task Eventually(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Timed out waiting until {what}.");
            }

            await Task.Delay(25);
        }
    }

    public static string Summary(IEnumerable<string> outcomes) =>
        string.Join(", ", outcomes.GroupBy(o => o).Select(g => $"{g.Key} x{g.Count()}"));

    public static MediaItem[] Long() => [Media.Audio("https://media.example.com/hold.mp3?duration=600")];

    public static MediaItem[] Short() => [Media.Audio("https://media.example.com/beep.mp3?duration=1")];
}
