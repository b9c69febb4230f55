namespace Playback.Emulator.Tests;

/// <summary>The standalone program's options: arguments first, then <c>EMULATOR_*</c> environment variables.</summary>
public sealed class CommandLineTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void Without_arguments_or_environment_the_defaults_apply()
    {
        var parsed = EmulatorCommandLine.Parse([], NoEnvironment);

        Assert.Equal(8088, parsed.Options.Port);
        Assert.Equal(1, parsed.Options.Speed);
        Assert.False(parsed.Options.AcceptFlatMedia);
        Assert.Equal(1, parsed.Options.Seed);
        Assert.Equal(TimeSpan.FromSeconds(5), parsed.Options.DefaultAudioDuration);
        Assert.Equal("emulator-project", parsed.Options.ProjectId);
        Assert.StartsWith("PT", parsed.Options.ApiToken, StringComparison.Ordinal);
        Assert.StartsWith("PSK", parsed.Options.SigningKey, StringComparison.Ordinal);
        Assert.True(parsed.Options.LogToConsole);
        Assert.Same(EmulatorDialect.Reference, parsed.Options.Dialect);
        Assert.False(parsed.ShowSecrets);
        Assert.False(parsed.Help);
    }

    [Fact]
    public void Every_argument_is_read()
    {
        var parsed = EmulatorCommandLine.Parse(
            ["--port", "0", "--speed", "12.5", "--accept-flat-media", "--project-id", "proj", "--api-token", "tok", "--signing-key", "key", "--seed", "99", "--audio-seconds", "2.5", "--dialect", "independent", "--show-secrets"],
            NoEnvironment);

        AssertEveryOptionSet(parsed, port: 0, speed: 12.5, credentials: ("proj", "tok", "key"), seed: 99, audioSeconds: 2.5);
        Assert.False(parsed.Help);
    }

    [Fact]
    public void Every_EMULATOR_environment_variable_is_read()
    {
        var env = new Dictionary<string, string>
        {
            ["EMULATOR_PORT"] = "9001",
            ["EMULATOR_SPEED"] = "50",
            ["EMULATOR_ACCEPT_FLAT_MEDIA"] = "TRUE",
            ["EMULATOR_PROJECT_ID"] = "env-proj",
            ["EMULATOR_API_TOKEN"] = "env-tok",
            ["EMULATOR_SIGNING_KEY"] = "env-key",
            ["EMULATOR_SEED"] = "5",
            ["EMULATOR_AUDIO_SECONDS"] = "0.25",
            ["EMULATOR_DIALECT"] = "Independent",
            ["EMULATOR_SHOW_SECRETS"] = "true",
        };

        var parsed = EmulatorCommandLine.Parse([], name => env.GetValueOrDefault(name));

        AssertEveryOptionSet(parsed, port: 9001, speed: 50, credentials: ("env-proj", "env-tok", "env-key"), seed: 5, audioSeconds: 0.25);
    }

    [Fact]
    public void Arguments_win_over_the_environment()
    {
        var env = new Dictionary<string, string> { ["EMULATOR_PORT"] = "9001", ["EMULATOR_SPEED"] = "50", ["EMULATOR_PROJECT_ID"] = "env-proj" };

        var parsed = EmulatorCommandLine.Parse(["--port", "9002", "--project-id", "arg-proj"], name => env.GetValueOrDefault(name));

        Assert.Equal(9002, parsed.Options.Port);
        Assert.Equal("arg-proj", parsed.Options.ProjectId);
        Assert.Equal(50, parsed.Options.Speed);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("1")]
    [InlineData("yes")]
    public void A_flag_variable_other_than_true_leaves_the_flag_off(string value)
    {
        var parsed = EmulatorCommandLine.Parse([], name => name == "EMULATOR_ACCEPT_FLAT_MEDIA" ? value : null);

        Assert.False(parsed.Options.AcceptFlatMedia);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_is_recognised(string arg)
    {
        Assert.True(EmulatorCommandLine.Parse([arg], NoEnvironment).Help);
        Assert.Contains("--port", EmulatorCommandLine.Usage, StringComparison.Ordinal);
        Assert.Contains("--dialect", EmulatorCommandLine.Usage, StringComparison.Ordinal);
        Assert.Contains("EMULATOR_DIALECT", EmulatorCommandLine.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_dialect_argument_wins_over_the_environment()
    {
        var parsed = EmulatorCommandLine.Parse(["--dialect", "reference"], name => name == "EMULATOR_DIALECT" ? "independent" : null);

        Assert.Same(EmulatorDialect.Reference, parsed.Options.Dialect);
    }

    [Theory]
    [InlineData("--dialect", "signalwire")]
    [InlineData("--dialect", "")]
    public void An_unknown_dialect_is_rejected_naming_the_choices(string arg, string value)
    {
        var e = Assert.Throws<ArgumentException>(() => EmulatorCommandLine.Parse([arg, value], NoEnvironment));

        Assert.Contains("reference or independent", e.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{value}\"", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Arguments that cannot be parsed, and the text the error must name: an unknown argument names
    /// itself, an option without its value names the option, a value that is not a number names the value.</summary>
    public static TheoryData<string[], string> UnparsableArguments => new()
    {
        { ["--verbose"], "--verbose" }, { ["port"], "port" }, { ["--port=8088"], "--port=8088" },
        { ["--port"], "--port" }, { ["--speed"], "--speed" }, { ["--api-token"], "--api-token" }, { ["--dialect"], "--dialect" },
        { ["--port", "abc"], "abc" }, { ["--port", "99999999999"], "99999999999" }, { ["--speed", "fast"], "fast" },
        { ["--seed", "1.5"], "1.5" }, { ["--audio-seconds", "long"], "long" }, { ["--audio-seconds", "1e300"], "1e300" },
    };

    /// <summary>Numbers outside their range, and an empty credential.</summary>
    public static TheoryData<string, string> OutOfRangeArguments => new()
    {
        { "--port", "70000" }, { "--port", "-1" }, { "--speed", "0" }, { "--speed", "-2" },
        { "--speed", "Infinity" }, { "--audio-seconds", "0" }, { "--project-id", "" },
    };

    [Theory]
    [MemberData(nameof(UnparsableArguments))]
    public void An_unknown_argument_a_missing_value_or_a_value_that_is_not_a_number_is_rejected_naming_it(string[] args, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => EmulatorCommandLine.Parse(args, NoEnvironment));

        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(OutOfRangeArguments))]
    public void A_number_out_of_range_or_an_empty_credential_is_rejected(string arg, string value)
    {
        Assert.ThrowsAny<ArgumentException>(() => EmulatorCommandLine.Parse([arg, value], NoEnvironment));
    }

    [Fact]
    public void A_bad_number_in_the_environment_is_rejected_too()
    {
        Assert.Throws<ArgumentException>(() => EmulatorCommandLine.Parse([], name => name == "EMULATOR_SPEED" ? "quick" : null));
        Assert.Throws<ArgumentException>(() => EmulatorCommandLine.Parse([], name => name == "EMULATOR_PORT" ? "http" : null));
    }

    /// <summary>The options both ways of setting everything use: the given values, flat media accepted, the independent dialect, secrets shown.</summary>
    private static void AssertEveryOptionSet(EmulatorCommandLine parsed, int port, double speed, (string, string, string) credentials, int seed, double audioSeconds)
    {
        Assert.Equal(port, parsed.Options.Port);
        Assert.Equal(speed, parsed.Options.Speed);
        Assert.True(parsed.Options.AcceptFlatMedia);
        Assert.Equal(credentials, (parsed.Options.ProjectId, parsed.Options.ApiToken, parsed.Options.SigningKey));
        Assert.Equal(seed, parsed.Options.Seed);
        Assert.Equal(TimeSpan.FromSeconds(audioSeconds), parsed.Options.DefaultAudioDuration);
        Assert.Same(EmulatorDialect.Independent, parsed.Options.Dialect);
        Assert.True(parsed.ShowSecrets);
    }
}
