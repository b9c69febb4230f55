// A process that plays and pauses on a call with persistence on, says so, and waits to be killed (SIGKILL) by
// Playback.PersistenceTests, which then recovers the playback from the same store in a new process.
// Arguments: <emulator base url> <project id> <status url> <connection string> <call id> <control id> [sqlite|postgresql]
// The API token and signing key come from PLAYBACK_TEST_TOKEN and PLAYBACK_TEST_SIGNING_KEY (never on a command line).
using Playback;

if (args.Length is not (6 or 7))
{
    Console.Error.WriteLine("usage: Playback.CrashChild <base url> <project id> <status url> <connection string> <call id> <control id> [sqlite|postgresql]");
    return 2;
}

var manager = PlaybackManager.Create(new PlaybackSettings
{
    BaseUrl = new Uri(args[0]),
    ProjectId = args[1],
    ApiToken = Environment.GetEnvironmentVariable("PLAYBACK_TEST_TOKEN"),
    SigningKey = Environment.GetEnvironmentVariable("PLAYBACK_TEST_SIGNING_KEY"),
    DefaultStatusUrl = new Uri(args[2]),
    Persistence = PlaybackPersistenceSettings.Parse(args.Length == 7 ? args[6] : "sqlite", args[3]),
});
await manager.Recovery;
var handle = await manager.PlayAsync(args[4], [Media.Ringtone("us", seconds: 600)], new PlayOptions { ControlId = args[5] });
await handle.PauseAsync();
Console.WriteLine($"PAUSED {handle.ControlId}");
await Task.Delay(Timeout.Infinite);
return 0;
