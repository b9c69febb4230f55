using System.Globalization;
using System.Text.Json;
using CsCheck;
using Playback.Emulator;
using Xunit.Abstractions;

namespace Playback.SecurityTests;

/// <summary>
/// Property tests of PlayAsync's validation against a real <see cref="PlaybackManager"/> talking HTTP to an embedded
/// emulator. Every case comes from a CsCheck generator driven by a fixed PCG seed (the same 1,000 cases on every run);
/// <see cref="ProtocolOracle"/> (written from protocol.md, not from Playback's code) says whether a case is valid and
/// which field is broken. Invalid: PlayAsync throws an ArgumentException whose ParamName is that field and the
/// emulator's journal gets nothing. Valid: the play reaches the emulator (on a subset, to keep the run short).
/// </summary>
public sealed class ValidationPropertyTests(ValidationPropertyTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<ValidationPropertyTests.Fixture>
{
    private const int Iterations = 1000;
    private const int ValidPlaysSentPerProperty = 40;

    private static readonly string[] OptionFields = ["control_id", "volume", "direction", "loop", "language", "voice", "gender", "status_url", "when_busy"];
    private static readonly string[] ItemFields = ["url", "text", "language", "gender", "voice", "duration", "name"];

    [Fact]
    public async Task A_play_with_one_broken_option_is_refused_naming_that_option_and_nothing_reaches_the_emulator()
    {
        var run = await RunAsync(fixture.Gens.PlaysWithOneAnyOption, seed: 0x5EC0001);

        Assert.Superset(OptionFields.ToHashSet(), run.Fields.Keys.ToHashSet());
        Assert.True(run.Sent > 0, "no valid case was generated");
    }

    [Fact]
    public async Task A_play_with_one_broken_media_item_at_a_random_index_is_refused_naming_its_index_and_field_and_nothing_reaches_the_emulator()
    {
        var run = await RunAsync(fixture.Gens.PlaysWithOneAnyItem, seed: 0x5EC0002);

        var fields = run.Fields.Keys.Select(k => k.Contains('.') ? k[(k.IndexOf('.') + 1)..] : k).ToHashSet();
        Assert.Superset(ItemFields.ToHashSet(), fields);
        Assert.Contains("media", run.Fields.Keys);
        Assert.Contains(run.Fields.Keys, k => k.StartsWith("media[", StringComparison.Ordinal) && k.EndsWith(']'));
        Assert.True(run.Fields.Keys.Select(k => k.Split('.')[0]).Distinct().Count() >= 6, "the broken item should appear at several indexes: " + string.Join(", ", run.Fields.Keys));
        Assert.True(run.Sent > 0, "no valid case was generated");
    }

    [Fact]
    public async Task A_play_with_any_number_of_broken_fields_is_refused_naming_the_first_in_protocol_order()
    {
        var run = await RunAsync(fixture.Gens.AnyPlays, seed: 0x5EC0003);

        Assert.True(run.Fields.Count >= 10, "too few distinct fields: " + string.Join(", ", run.Fields.Keys));
    }

    [Fact]
    public async Task Valid_plays_reach_the_emulator_once_each_with_the_values_given()
    {
        var journalBefore = fixture.Emulator.Journal.Requests.Count;
        var cases = Sample(fixture.Gens.ValidPlays, seed: 0x5EC0004, count: 120).ToList();
        foreach (var (i, play) in cases)
        {
            await Describe(i, play, async () =>
            {
                Assert.Null(ProtocolOracle.FirstBrokenField(play.Media, play.Options));
                var (handle, request) = await SendValidAsync(play);
                AssertWireBody(play, handle, request.Body);
            });
        }

        Assert.Equal(cases.Count, fixture.Emulator.Journal.Requests.Count - journalBefore);
    }

    [Fact]
    public async Task A_volume_change_that_is_not_finite_or_outside_minus_40_to_40_is_refused_as_volume_and_nothing_is_sent()
    {
        var callId = fixture.Emulator.CreateCall();
        var live = await fixture.Playback.PlayAsync(callId, [Media.Silence(1)], new PlayOptions { Loop = 0 });
        var journalBefore = fixture.Emulator.Journal.Requests.Count;
        int invalid = 0, sent = 0;
        foreach (var (i, volume) in Sample(PlayGenerators.AnyVolume, seed: 0x5EC0005, count: Iterations))
        {
            if (!ProtocolOracle.IsVolume(volume))
            {
                invalid++;
                var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => live.SetVolumeAsync(volume));
                Assert.True(e.ParamName == "volume", $"case #{i}: volume {Support.Show(volume)} was refused with ParamName {e.ParamName}");
            }
            else if (sent < 30)
            {
                sent++;
                var snapshot = await live.SetVolumeAsync(volume);
                Assert.Equal(volume, snapshot.Volume);
            }
        }

        var requests = fixture.Emulator.Journal.Requests.Skip(journalBefore).ToList();
        output.WriteLine($"{Iterations} volumes: {invalid} invalid, {sent} valid ones sent, {requests.Count} requests");
        Assert.True(invalid > 100, $"only {invalid} invalid volumes were generated");
        Assert.InRange(requests.Count, 1, sent);
        Assert.All(requests, r => Assert.Equal(("calling.play.volume", 200), (r.Command, r.Status)));
        Assert.All(requests, r => Assert.True(ProtocolOracle.IsVolume(JsonDocument.Parse(r.Body).RootElement.GetProperty("params").GetProperty("volume").GetDouble())));
        Assert.Equal(PlaybackState.Playing, live.Current);
    }

    [Fact]
    public async Task A_null_or_empty_media_list_is_refused_as_media_and_nothing_is_sent()
    {
        var journalBefore = fixture.Emulator.Journal.Requests.Count;
        var callId = fixture.Emulator.CreateCall();

        var nullList = await Assert.ThrowsAsync<ArgumentNullException>(() => fixture.Playback.PlayAsync(callId, null!));
        var emptyList = await Assert.ThrowsAnyAsync<ArgumentException>(() => fixture.Playback.PlayAsync(callId, []));
        var nullItem = await Assert.ThrowsAnyAsync<ArgumentException>(() => fixture.Playback.PlayAsync(callId, [Media.Silence(1), null!]));

        Assert.Equal(("media", "media", "media[1]"), (nullList.ParamName, emptyList.ParamName, nullItem.ParamName));
        Assert.Equal(journalBefore, fixture.Emulator.Journal.Requests.Count);
        Assert.Empty(fixture.Playback.Snapshot(callId));
    }

    private async Task<Run> RunAsync(Gen<PlayCase> gen, ulong seed)
    {
        var journalBefore = fixture.Emulator.Journal.Requests.Count;
        var sentBefore = fixture.Playback.Statistics.RequestsSent;
        var run = new Run();
        foreach (var (i, play) in Sample(gen, seed, Iterations))
        {
            var expected = ProtocolOracle.FirstBrokenField(play.Media, play.Options);
            await Describe(i, play, async () =>
            {
                if (expected is not null)
                {
                    run.Fields[expected] = run.Fields.GetValueOrDefault(expected) + 1;
                    var callId = "fuzz-call-" + i.ToString(CultureInfo.InvariantCulture);
                    var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => fixture.Playback.PlayAsync(callId, play.Media!, play.Options));
                    Assert.True(e.ParamName == expected, $"expected ParamName {expected}, got {e.ParamName} ({e.GetType().Name}: {e.Message})");
                    Assert.DoesNotContain(fixture.Emulator.Journal.Requests, r => r.CallId == callId);
                    Assert.Empty(fixture.Playback.Snapshot(callId));
                }
                else if (run.Sent < ValidPlaysSentPerProperty)
                {
                    run.Sent++;
                    await SendValidAsync(play);
                }
            });
        }

        output.WriteLine($"{Iterations} cases (seed {seed:x}): {run.Fields.Values.Sum()} invalid, {Iterations - run.Fields.Values.Sum()} valid, {run.Sent} of them sent");
        output.WriteLine("invalid by field: " + string.Join(", ", run.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}")));

        // Nothing but the valid plays reached the emulator: the journal grew by exactly their number.
        Assert.Equal(run.Sent, fixture.Emulator.Journal.Requests.Count - journalBefore);
        Assert.Equal(run.Sent, fixture.Playback.Statistics.RequestsSent - sentBefore);
        return run;
    }

    /// <summary>Plays a valid case on a new call: the play is accepted, and the emulator got exactly one calling.play for the call, answered 200.</summary>
    private async Task<(PlaybackHandle Handle, JournalRequest Request)> SendValidAsync(PlayCase play)
    {
        // The emulator posts webhooks to the status URL: it must stay on this machine.
        Assert.True(play.Options.StatusUrl is null || play.Options.StatusUrl.IsLoopback, $"status URL off the machine: {play.Options.StatusUrl}");
        var callId = fixture.Emulator.CreateCall();
        var handle = await fixture.Playback.PlayAsync(callId, play.Media!, play.Options);
        var requests = fixture.Emulator.Journal.Requests.Where(r => r.CallId == callId).ToList();
        var request = Assert.Single(requests);
        Assert.True(request.Status == 200, $"the emulator answered {request.Status} to {request.Body}; the handle is {handle.Current} ({handle.Reason})");
        Assert.Equal(("calling.play", handle.ControlId), (request.Command, request.ControlId));
        Assert.NotEqual(PlaybackState.Queued, handle.Current);
        return (handle, request);
    }

    private static void AssertWireBody(PlayCase play, PlaybackHandle handle, string body)
    {
        var p = JsonDocument.Parse(body).RootElement.GetProperty("params");
        var o = play.Options;
        Assert.Equal(handle.ControlId, p.GetProperty("control_id").GetString());
        if (o.ControlId is not null)
        {
            Assert.Equal(o.ControlId, handle.ControlId);
        }

        Assert.Equal(play.Media.Select(m => m!.Type), p.GetProperty("play").EnumerateArray().Select(x => x.GetProperty("type").GetString()));
        Assert.Equal(o.Volume, Optional(p, "volume")?.GetDouble());
        Assert.Equal(o.Loop, Optional(p, "loop")?.GetInt32());
        Assert.Equal(o.Direction?.ToString().ToLowerInvariant(), Optional(p, "direction")?.GetString());
        Assert.Equal(o.Gender?.ToString().ToLowerInvariant(), Optional(p, "gender")?.GetString());
        Assert.Equal(o.Language, Optional(p, "language")?.GetString());
        Assert.Equal(o.Voice, Optional(p, "voice")?.GetString());
        Assert.Equal(o.StatusUrl?.AbsoluteUri, Optional(p, "status_url")?.GetString());
    }

    private static JsonElement? Optional(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>The first <paramref name="count"/> values of a generator from a fixed PCG seed: the same cases on every run.</summary>
    private static IEnumerable<(int Index, T Value)> Sample<T>(Gen<T> gen, ulong seed, int count)
    {
        var pcg = new PCG(17, seed);
        for (var i = 0; i < count; i++)
        {
            yield return (i, gen.Generate(pcg, null!, out _));
        }
    }

    private static async Task Describe(int index, PlayCase play, Func<Task> check)
    {
        try
        {
            await check();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException || !e.Message.StartsWith("case #", StringComparison.Ordinal))
        {
            throw new Xunit.Sdk.XunitException($"case #{index}: {play}{Environment.NewLine}{e}");
        }
    }

    private sealed class Run
    {
        public Dictionary<string, int> Fields { get; } = new(StringComparer.Ordinal);

        public int Sent { get; set; }
    }

    /// <summary>An emulator on 127.0.0.1 and a real PlaybackManager pointed at it (no webhooks: no default status URL).</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public CallingEmulator Emulator { get; private set; } = null!;

        public PlaybackManager Playback { get; private set; } = null!;

        public PlayGenerators Gens { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Emulator = await CallingEmulator.StartAsync(new EmulatorOptions());
            Playback = PlaybackManager.Create(new PlaybackSettings
            {
                BaseUrl = Emulator.BaseUrl,
                ProjectId = Emulator.ProjectId,
                ApiToken = Emulator.ApiToken,
                AskTimeout = TimeSpan.FromSeconds(30),
                AllowUntrackedPlays = true, // what is checked is the wire body, with and without a generated status_url
            });

            // Valid URLs point back at the emulator: a status_url among them gets its webhooks answered 404, and nothing leaves the machine.
            Gens = new PlayGenerators(Emulator.BaseUrl.GetLeftPart(UriPartial.Authority) + "/not-a-webhook-sink");
        }

        public async Task DisposeAsync()
        {
            if (Playback is not null)
            {
                await Playback.DisposeAsync();
            }

            if (Emulator is not null)
            {
                await Emulator.DisposeAsync();
            }
        }
    }
}
