using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;

namespace Playback.Benchmarks;

/// <summary>The hot paths of Playback, without I/O.</summary>
[MemoryDiagnoser]
public class MicroBenchmarks
{
    private const string Key = "PSKbenchmark-signing-key";
    private const string Url = "https://calls.example.com/signalwire/events";

    private readonly ImmutableArray<MediaItem> _media =
        [Media.Tts("Please hold while we connect you."), Media.Silence(1), Media.Audio("https://example.com/hold-music.mp3")];

    private readonly PlayOptions _options = new() { ControlId = "2f1d3c9e-bench", Volume = -3, Loop = 0, StatusUrl = new Uri(Url) };
    private CallPlaybacks _playing = null!;
    private byte[] _webhook = null!;
    private string _signature = null!;

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UnixEpoch;
        var t = new CallPlaybacks("call-1").Decide(new StartPlay("call-1", "c1", _media, _options), now);
        _playing = t.State.RequestSucceeded(now).State;
        _webhook = Encoding.UTF8.GetBytes("""{"event_type":"calling.call.play","event_channel":"swml:x","timestamp":1700000000.123,"project_id":"p","space_id":"s","params":{"call_id":"call-1","node_id":"n","control_id":"c1","state":"paused"}}""");
        _signature = WebhookSignature.ComputeSha256(Key, Url, _webhook);
    }

    /// <summary>Validate a three-item play and write its exact wire JSON.</summary>
    [Benchmark]
    public string ValidateAndSerializePlay()
    {
        PlayValidation.ValidatePlay(_media, _options);
        var body = new CallCommandBody<PlayParams>("call-1", CallingApi.Commands.Play, new PlayParams("c1", _media)
        {
            Volume = _options.Volume,
            Loop = _options.Loop,
            StatusUrl = _options.StatusUrl!.AbsoluteUri,
        });
        return JsonSerializer.Serialize(body, WireJsonContext.Default.CallCommandBodyPlayParams);
    }

    /// <summary>Pause a playing playback and apply the 2xx: two pure transitions.</summary>
    [Benchmark]
    public object StateMachineTransition()
    {
        var now = DateTimeOffset.UnixEpoch;
        return _playing.Decide(new PausePlay("call-1", "c1"), now).State.RequestSucceeded(now).State;
    }

    /// <summary>Check a webhook's SHA-256 signature and parse it into a call message.</summary>
    [Benchmark]
    public object? WebhookVerifyAndParse()
    {
        if (!WebhookSignature.IsValid(Key, Url, _webhook, _signature, null))
        {
            throw new InvalidOperationException("signature");
        }

        return WebhookParser.Parse(_webhook).Message;
    }
}

/// <summary>Publishing to the Rx hub with 1, 10 or 100 subscribers, until every subscriber has received every event.</summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private const int Events = 1000;
    private PlaybackEventHub _hub = null!;
    private List<IDisposable> _subscriptions = null!;
    private CountdownEvent _delivered = null!;
    private PlaybackEvent[] _events = null!;

    [Params(1, 10, 100)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _hub = new PlaybackEventHub(null, _ => { });
        _delivered = new CountdownEvent(1);
        _subscriptions = Enumerable.Range(0, Subscribers).Select(_ => _hub.Events.Subscribe(_ => _delivered.Signal())).ToList();
        _events = Enumerable.Range(0, Events)
            .Select(i => new PlaybackEvent("call-" + (i % 50), "c" + (i % 50), i % 2 == 0 ? PlaybackState.Paused : PlaybackState.Playing, PlaybackState.Playing, 0, null, DateTimeOffset.UnixEpoch, PlaybackChange.State))
            .ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _subscriptions.ForEach(s => s.Dispose());

    [Benchmark(OperationsPerInvoke = Events)]
    public void PublishAndDeliver()
    {
        _delivered.Reset(Events * Subscribers);
        foreach (var e in _events)
        {
            _hub.Publish(e);
        }

        _delivered.Wait();
    }
}
