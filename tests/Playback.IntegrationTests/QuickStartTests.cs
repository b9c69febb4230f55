namespace Playback.IntegrationTests;

public sealed class QuickStartTests
{
    [Fact]
    public async Task The_quick_start_runs_against_the_embedded_emulator_and_exits_0()
    {
        await using var process = SampleProcess.Start("QuickStart");

        await process.WaitForExitAsync(TimeSpan.FromSeconds(120));

        var text = await process.OutputAsync();
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{text}");
        foreach (var expected in new[] { "-> Playing", "-> Paused", "-> Finished", "-> Stopped", "Done." })
        {
            Assert.Contains(expected, text);
        }
    }
}
