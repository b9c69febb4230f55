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

        Assert.Equal(0, parsed.Options.Port);
        Assert.Equal(12.5, parsed.Options.Speed);
        Assert.True(parsed.Options.AcceptFlatMedia);
        Assert.Equal(("proj", "tok", "key"), (parsed.Options.ProjectId, parsed.Options.ApiToken, parsed.Options.SigningKey));
        Assert.Equal(99, parsed.Options.Seed);
        Assert.Equal(TimeSpan.FromSeconds(2.5), parsed.Options.DefaultAudioDuration);
        Assert.Same(EmulatorDialect.Independent, parsed.Options.Dialect);
        Assert.True(parsed.ShowSecrets);
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

        Assert.Equal(9001, parsed.Options.Port);
        Assert.Equal(50, parsed.Options.Speed);
        Assert.True(parsed.Options.AcceptFlatMedia);
        Assert.Equal(("env-proj", "env-tok", "env-key"), (parsed.Options.ProjectId, parsed.Options.ApiToken, parsed.Options.SigningKey));
        Assert.Equal(5, parsed.Options.Seed);
        Assert.Equal(TimeSpan.FromSeconds(0.25), parsed.Options.DefaultAudioDuration);
        Assert.Same(EmulatorDialect.Independent, parsed.Options.Dialect);
        Assert.True(parsed.ShowSecrets);
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

    [Theory]
    [InlineData("--verbose")]
    [InlineData("port")]
    [InlineData("--port=8088")]
    public void An_unknown_argument_is_rejected_naming_it(string arg)
    {
        var e = Assert.Throws<ArgumentException>(() => EmulatorCommandLine.Parse([arg], NoEnvironment));

        Assert.Contains(arg, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--speed")]
    [InlineData("--api-token")]
    [InlineData("--dialect")]
    public void An_option_without_its_value_is_rejected(string arg)
    {
        var e = Assert.Throws<ArgumentException>(() => EmulatorCommandLine.Parse([arg], NoEnvironment));

        Assert.Contains(arg, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port", "abc")]
    [InlineData("--port", "99999999999")]
    [InlineData("--speed", "fast")]
    [InlineData("--seed", "1.5")]
    [InlineData("--audio-seconds", "long")]
    [InlineData("--audio-seconds", "1e300")]
    public void A_value_that_is_not_a_number_is_rejected(string arg, string value)
    {
        var e = Assert.Throws<ArgumentException>(() => EmulatorCommandLine.Parse([arg, value], NoEnvironment));

        Assert.Contains(value, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port", "70000")]
    [InlineData("--port", "-1")]
    [InlineData("--speed", "0")]
    [InlineData("--speed", "-2")]
    [InlineData("--speed", "Infinity")]
    [InlineData("--audio-seconds", "0")]
    [InlineData("--project-id", "")]
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
}
