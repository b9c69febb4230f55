namespace Playback.Tests;

/// <summary>The one mapping from the errors a command can end with to the bounded <c>playback.outcome</c> tag.</summary>
public sealed class CommandOutcomeTests
{
    /// <summary>One instance of every exception type Playback's facade reports, with the outcome it must count as.</summary>
    public static TheoryData<Exception?, string> Errors() => new()
    {
        { null, "success" },
        { new ArgumentException("volume out of range", "volume"), "invalid" },
        { new ArgumentNullException("media"), "invalid" },
        { new ArgumentOutOfRangeException("db"), "invalid" },
        { new PlaybackConfigurationException(["ApiToken is missing"]), "invalid" },
        { new PlaybackStateException("no active playback", "call", "c", PlaybackState.Finished), "state_error" },
        { new CallingApiException("calling.play", "call", "c", 422, "bad", null, null, isTransient: false), "api_error" },
        { new CallingApiException("calling.play", "call", "c", null, "transport failure", null, null, isTransient: true), "api_error" },
        { new CallGoneException("calling.play", "call", "c", 404, "Not Found", null), "call_gone" },
        { new TimeoutException("no outcome"), "timeout" },
        { new OperationCanceledException("stopped waiting"), "canceled" },
        { new TaskCanceledException("stopped waiting"), "canceled" },
        { new PlaybackShutdownException("shutting down", "call", "c"), "shutdown" },
        { new ObjectDisposedException(nameof(PlaybackManager)), "shutdown" },
        { new PlaybackMovedException("moved twice", "call", "c"), "shutdown" },
        { new PlaybackNodeLostException("node lost", "call", "c"), "shutdown" },
        { new InvalidOperationException("unexpected reply"), "api_error" },
        { new PlaybackStoreException("intent not written"), "store_error" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Each_error_type_maps_to_its_outcome(Exception? error, string outcome) =>
        Assert.Equal(outcome, CommandOutcome.Of(error));

    [Fact]
    public void Every_exception_type_of_Playback_has_a_case_of_its_own_above()
    {
        var covered = Errors().Select(row => row[0]?.GetType()).OfType<Type>().ToHashSet();
        var declared = typeof(PlaybackManager).Assembly.GetTypes().Where(t => typeof(Exception).IsAssignableFrom(t) && !t.IsAbstract).ToList();

        Assert.NotEmpty(declared);
        Assert.All(declared, t => Assert.Contains(t, covered));
    }

    [Fact]
    public void Every_outcome_is_reachable_and_in_the_documented_set()
    {
        var reached = Errors().Select(row => (string)row[1]).ToHashSet();

        Assert.Equal(["success", "invalid", "state_error", "api_error", "call_gone", "timeout", "canceled", "shutdown", "store_error"], CommandOutcome.All);
        Assert.Equal(CommandOutcome.All.ToHashSet(), reached);
    }

    [Theory]
    [InlineData(CallingApi.Commands.Play, "play")]
    [InlineData(CallingApi.Commands.Pause, "pause")]
    [InlineData(CallingApi.Commands.Resume, "resume")]
    [InlineData(CallingApi.Commands.Volume, "volume")]
    [InlineData(CallingApi.Commands.Stop, "stop")]
    public void Wire_command_names_map_to_the_command_tag(string wire, string tag) =>
        Assert.Equal(tag, CommandOutcome.CommandTag(wire));
}
