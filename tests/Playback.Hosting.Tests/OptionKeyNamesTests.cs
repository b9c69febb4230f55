using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Playback.Hosting.Tests;

/// <summary>Validation errors of <see cref="PlaybackOptions"/> name the option the user set: <c>Playback:ProjectId</c>, <c>Playback:Resilience:MaxRetries</c>.</summary>
public sealed class OptionKeyNamesTests
{
    [Fact]
    public async Task The_host_stops_at_startup_naming_the_Playback_keys_of_missing_credentials()
    {
        var error = await TestSupport.StartupValidationErrorAsync(s => s.AddPlayback(o => o.UseEnvironmentFallback = false));

        AssertEachStartsAProblem(error.Failures, ["Playback:ProjectId is missing", "Playback:ApiToken is missing", "Playback:Space is missing, or Playback:BaseUrl"]);
        Assert.All(new[] { "playback.", "SIGNALWIRE_" }, foreign => Assert.DoesNotContain(foreign, error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_values_bound_from_the_Playback_section_are_named_by_their_keys()
    {
        var section = TestSupport.PlaybackSection(new Dictionary<string, string?>
        {
            ["UseEnvironmentFallback"] = "false", ["ProjectId"] = "p", ["ApiToken"] = "t", ["BaseUrl"] = "http://calls.example.com",
            ["RequestTimeout"] = "00:00:00", ["MaxConnections"] = "0", ["SettleRetryDelay"] = "00:00:00", ["SignaturePolicy"] = "Required", ["Resilience:MaxRetries"] = "1000",
        });

        var error = await TestSupport.StartupValidationErrorAsync(s => s.AddPlayback(section));

        AssertEachStartsAProblem(
            error.Failures,
            "Playback:BaseUrl may use http:// only for loopback hosts",
            "Playback:RequestTimeout must be greater than zero",
            "Playback:MaxConnections must be 1 to 65535",
            "Playback:SettleRetryDelay must be positive",
            "Playback:Resilience:MaxRetries must be 0 to 100",
            "Playback:SigningKey is missing but Playback:SignaturePolicy is Required");
    }

    [Fact]
    public void A_bad_space_set_as_an_option_is_named_Playback_Space()
    {
        var options = new PlaybackOptions { UseEnvironmentFallback = false, ProjectId = "p", ApiToken = "t", Space = "not a space!" };

        var e = Assert.Throws<PlaybackConfigurationException>(options.ToSettings().Validate);

        Assert.Equal("Playback:Space \"not a space!\" is not a space name or host name", Assert.Single(e.Problems));
    }

    /// <summary>Each of <paramref name="starts"/> begins one of the problems.</summary>
    private static void AssertEachStartsAProblem(IEnumerable<string> problems, params string[] starts)
    {
        foreach (var start in starts)
        {
            Assert.Contains(problems, p => p.StartsWith(start, StringComparison.Ordinal));
        }
    }
}
