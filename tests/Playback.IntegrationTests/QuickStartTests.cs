using Playback.Testing;

namespace Playback.IntegrationTests;

public sealed class QuickStartTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    public static TheoryData<string[], string[]> PartialCredentials => new()
    {
        { ["SIGNALWIRE_PROJECT_ID"], ["SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE", "SIGNALWIRE_SIGNING_KEY", "PLAYBACK_CALL_ID", "PLAYBACK_PUBLIC_URL"] },
        { ["SIGNALWIRE_API_TOKEN"], ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_SPACE", "SIGNALWIRE_SIGNING_KEY", "PLAYBACK_CALL_ID", "PLAYBACK_PUBLIC_URL"] },
        { ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE"], ["SIGNALWIRE_SIGNING_KEY", "PLAYBACK_CALL_ID", "PLAYBACK_PUBLIC_URL"] },
        { ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE", "SIGNALWIRE_SIGNING_KEY", "PLAYBACK_CALL_ID"], ["PLAYBACK_PUBLIC_URL"] },
        { ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SIGNING_KEY", "PLAYBACK_CALL_ID", "PLAYBACK_PUBLIC_URL"], ["SIGNALWIRE_SPACE"] },
        { ["PLAYBACK_BASE_URL"], ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SIGNING_KEY", "PLAYBACK_CALL_ID", "PLAYBACK_PUBLIC_URL"] },
    };

    [Fact]
    public async Task The_quick_start_runs_against_the_embedded_emulator_and_exits_0()
    {
        await using var process = SampleProcess.Start("QuickStart");

        await process.WaitForExitAsync(Patience);

        var text = await process.OutputAsync();
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{text}");
        foreach (var expected in new[] { "-> Playing", "-> Paused", "-> Finished", "-> Stopped", "Done." })
        {
            Assert.Contains(expected, text);
        }

        // Redirected output is not wrapped at 80 columns: each of these long lines arrives whole.
        var lines = text.Split('\n');
        Assert.Contains(lines, l => l.Contains("Playback quick start against the embedded emulator at http://127.0.0.1:", StringComparison.Ordinal) && l.Contains("(x20 speed), call ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("3. Sequence, looping: TTS + 1 s silence + hold music; then pause, resume, volume, stop", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(PartialCredentials))]
    public async Task Partial_credentials_are_one_line_naming_each_missing_variable_and_exit_2(string[] set, string[] missing)
    {
        var environment = set.ToDictionary(v => v, v => v == "PLAYBACK_PUBLIC_URL" || v == "PLAYBACK_BASE_URL" ? "https://calls.example.com" : "value-of-" + v);

        var line = await ConfigurationErrorAsync(environment);

        foreach (var variable in missing)
        {
            Assert.Contains(variable, line);
        }

        Assert.DoesNotContain("value-of-", line); // names, never values (some are secrets)
    }

    /// <summary>One bad value each, set over an otherwise complete configuration.</summary>
    public static TheoryData<string, string> BadValues => new()
    {
        { "PLAYBACK_PUBLIC_URL", "not a url" }, { "PLAYBACK_LISTEN_PORT", "eighty" },
        { "PLAYBACK_LISTEN_PORT", "70000" }, { "SIGNALWIRE_SPACE", "not a space!" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task A_bad_value_is_one_line_naming_the_setting_and_exit_2(string variable, string value)
    {
        var environment = new Dictionary<string, string>
        {
            ["SIGNALWIRE_PROJECT_ID"] = "project", ["SIGNALWIRE_API_TOKEN"] = "PT-secret-token",
            ["SIGNALWIRE_SPACE"] = "example", ["SIGNALWIRE_SIGNING_KEY"] = "PSK-secret-key",
            ["PLAYBACK_CALL_ID"] = "call-1", ["PLAYBACK_PUBLIC_URL"] = "https://calls.example.com",
            ["PLAYBACK_LISTEN_PORT"] = "8080", // never bound: the one bad value stops the quick start before it listens
        };
        environment[variable] = value;

        var line = await ConfigurationErrorAsync(environment);

        Assert.Contains(variable, line); // the variable the user set, not the option it fills (Playback:Space)
        Assert.DoesNotContain("PT-secret-token", line);
        Assert.DoesNotContain("PSK-secret-key", line);
    }

    /// <summary>Runs the quick start, which must exit 2 with exactly one line of output (no stack trace); returns it.</summary>
    private static async Task<string> ConfigurationErrorAsync(IReadOnlyDictionary<string, string> environment)
    {
        await using var process = SampleProcess.Start("QuickStart", environment);
        await process.WaitForExitAsync(Patience);

        var text = (await process.OutputAsync()).Trim();
        Assert.True(process.ExitCode == 2, $"exit {process.ExitCode}\n{text}");
        var line = Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("quick start: configuration error: ", line);
        Assert.DoesNotContain("Exception", line);
        return line;
    }
}
