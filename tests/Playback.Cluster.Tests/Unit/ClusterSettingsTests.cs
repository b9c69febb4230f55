using Akka.Configuration;

namespace Playback.Cluster.Tests.Unit;

public sealed class ClusterSettingsTests
{
    [Fact]
    public void Settings_from_an_empty_config_are_the_reference_defaults()
    {
        var settings = PlaybackClusterSettings.FromConfig(ConfigurationFactory.Empty);

        Assert.Equal("playback-calls", settings.TypeName);
        Assert.Null(settings.Role);
        Assert.Equal(100, settings.NumberOfShards);
        Assert.Equal("playback.events", settings.AllCallsTopic);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.RestoreTimeout);
        Assert.False(settings.RememberEntities);
        Assert.Equal(new PlaybackClusterSettings(), settings);
        Assert.Equal(settings, PlaybackClusterSettings.Default);
    }

    [Fact]
    public void Settings_read_every_value_over_the_defaults()
    {
        var config = ConfigurationFactory.ParseString("""
            playback.cluster {
              type-name = calls
              role = media
              number-of-shards = 7
              all-calls-topic = "t.events"
              restore-timeout = 750ms
              remember-entities = on
            }
            """);

        var settings = PlaybackClusterSettings.FromConfig(config);

        Assert.Equal("calls", settings.TypeName);
        Assert.Equal("media", settings.Role);
        Assert.Equal(7, settings.NumberOfShards);
        Assert.Equal("t.events", settings.AllCallsTopic);
        Assert.Equal(TimeSpan.FromMilliseconds(750), settings.RestoreTimeout);
        Assert.True(settings.RememberEntities);
    }

    /// <summary>HOCON lines <c>key = bad value</c> inside <c>playback.cluster</c>.</summary>
    public static TheoryData<string> BadLines => new(
        "number-of-shards = 0", "restore-timeout = 0s", "type-name = \"\"",
        "all-calls-topic = \" \"", "number-of-shards = lots", "restore-timeout = soon");

    [Theory]
    [MemberData(nameof(BadLines))]
    public void A_bad_value_is_a_configuration_error_naming_its_key(string line)
    {
        var key = "playback.cluster." + line[..line.IndexOf(' ', StringComparison.Ordinal)];
        var config = ConfigurationFactory.ParseString("playback.cluster { " + line + " }");

        var error = Assert.Throws<PlaybackConfigurationException>(() => PlaybackClusterSettings.FromConfig(config));

        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void Every_bad_value_is_named_in_one_error()
    {
        var config = ConfigurationFactory.ParseString("playback.cluster { number-of-shards = -1, restore-timeout = 0s }");

        var error = Assert.Throws<PlaybackConfigurationException>(() => PlaybackClusterSettings.FromConfig(config));

        Assert.Contains("playback.cluster.number-of-shards", error.Message);
        Assert.Contains("playback.cluster.restore-timeout", error.Message);
    }
}

public sealed class CallMessageExtractorTests
{
    [Fact]
    public void The_entity_id_is_the_call_id_of_every_per_call_message()
    {
        var extractor = new CallMessageExtractor(100);

        Assert.Equal("call-1", extractor.EntityId(new PausePlay("call-1", "x")));
        Assert.Equal("call-2", extractor.EntityId(new StartPlay("call-2", "x", [Media.Silence(1)], PlayOptions.Default)));
        Assert.Equal("call-3", extractor.EntityId(new PlayStatusReceived("call-3", "x", ReportedPlayState.Playing, null)));
        Assert.Equal("call-4", extractor.EntityId(new CallStateReceived("call-4", ReportedCallState.Ended, null)));
        Assert.Equal("call-5", extractor.EntityId(new CallHandoff("call-5", [], [], [])));
        Assert.Null(extractor.EntityId("not a call message"));
    }

    [Fact]
    public void The_entity_message_is_the_message_itself()
    {
        var extractor = new CallMessageExtractor(100);
        var message = new StopPlay("call-1", "x");

        Assert.Same(message, extractor.EntityMessage(message));
    }

    [Fact]
    public void The_shard_id_is_stable_per_call_and_within_the_number_of_shards()
    {
        var one = new CallMessageExtractor(10);
        var other = new CallMessageExtractor(10);
        var calls = Enumerable.Range(0, 200).Select(i => "call-" + i).ToList();

        foreach (var call in calls)
        {
            var shard = Shard(one, new PausePlay(call, "x"));
            Assert.Equal(shard, Shard(one, new PlayStatusReceived(call, "y", ReportedPlayState.Finished, null)));
            Assert.Equal(shard, Shard(other, new CallHandoff(call, [], [], [])));
            Assert.InRange(int.Parse(shard, System.Globalization.CultureInfo.InvariantCulture), 0, 9);
        }

        // Spread over the shards, not one bucket.
        Assert.True(calls.Select(c => Shard(one, new PausePlay(c, "x"))).Distinct().Count() > 5);
    }

    private static string Shard(CallMessageExtractor extractor, object message) =>
        extractor.ShardId(extractor.EntityId(message)!, message);
}
