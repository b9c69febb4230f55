using Akka.TestKit.Xunit2;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>A TestKit spec with a manager over a fake API.</summary>
public abstract class PlaybackSpec : TestKit
{
    protected PlaybackSpec(ITestOutputHelper output, string? config = null)
        : base(config ?? "akka.loglevel = WARNING", output: output)
    {
        Api = new FakeCallingApi();
    }

    protected FakeCallingApi Api { get; }

    // Untracked: these tests feed webhooks by hand and use no watchdog unless they give a status URL themselves.
    protected static PlaybackSettings Settings { get; } = new() { AskTimeout = TimeSpan.FromSeconds(20), AllowUntrackedPlays = true };

    protected PlaybackManager CreateManager(PlaybackSettings? settings = null) =>
        PlaybackManager.Create(Sys, settings ?? Settings, Api);

    protected static IReadOnlyList<MediaItem> Hello { get; } = [Media.Tts("Hello")];

    protected static async Task<T> Within10s<T>(Task<T> task) => await task.WaitAsync(TimeSpan.FromSeconds(10));

    protected static async Task Within10s(Task task) => await task.WaitAsync(TimeSpan.FromSeconds(10));

    protected static byte[] PlayWebhook(string callId, string controlId, string state, double? timestamp = null) =>
        System.Text.Encoding.UTF8.GetBytes(
            $$$"""{"event_type":"calling.call.play","event_channel":"swml:x","timestamp":{{{(timestamp ?? 1_700_000_000.5).ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"project_id":"p","space_id":"s","params":{"call_id":"{{{callId}}}","node_id":"n","control_id":"{{{controlId}}}","state":"{{{state}}}"}}""");

    protected static byte[] CallStateWebhook(string callId, string state) =>
        System.Text.Encoding.UTF8.GetBytes($$$"""{"event_type":"calling.call.state","timestamp":1700000001,"params":{"call_id":"{{{callId}}}","call_state":"{{{state}}}"}}""");

    protected static KeyValuePair<string, string>[] NoHeaders { get; } = [];
}
