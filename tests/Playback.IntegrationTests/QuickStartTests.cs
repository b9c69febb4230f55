using System.Diagnostics;

namespace Playback.IntegrationTests;

public sealed class QuickStartTests
{
    [Fact]
    public async Task The_quick_start_runs_against_the_embedded_emulator_and_exits_0()
    {
        var dll = Path.Combine(RepositoryRoot(), "samples", "QuickStart", "bin", BuildConfiguration(), "net10.0", "QuickStart.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var name in new[] { "SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE", "SIGNALWIRE_SIGNING_KEY", "PLAYBACK_BASE_URL", "PLAYBACK_CALL_ID", "PLAYBACK_PUBLIC_URL" })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = await output;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{text}\n{await errors}");
        foreach (var expected in new[] { "-> Playing", "-> Paused", "-> Finished", "-> Stopped", "Done." })
        {
            Assert.Contains(expected, text);
        }
    }

    private static string BuildConfiguration() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Playback.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Playback.sln not found");
    }
}
