using System.Globalization;
using Playback.Emulator;

// Standalone emulator: playback-emulator (the .NET tool) or dotnet run --project src/Playback.Emulator.Tool -- --port 8088 [--speed 10] [--accept-flat-media]
//   [--project-id ID] [--api-token TOKEN] [--signing-key KEY] [--seed N] [--audio-seconds S] [--dialect reference|independent] [--show-secrets]
// Every option can also come from the environment: EMULATOR_PORT, EMULATOR_SPEED, EMULATOR_ACCEPT_FLAT_MEDIA,
// EMULATOR_PROJECT_ID, EMULATOR_API_TOKEN, EMULATOR_SIGNING_KEY, EMULATOR_SEED, EMULATOR_AUDIO_SECONDS, EMULATOR_DIALECT, EMULATOR_SHOW_SECRETS.
EmulatorCommandLine parsed;
try
{
    parsed = EmulatorCommandLine.Parse(args, name => Environment.GetEnvironmentVariable(name));
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(EmulatorCommandLine.Usage);
    return 2;
}

if (parsed.Help)
{
    Console.WriteLine(EmulatorCommandLine.Usage);
    return 0;
}

await using var emulator = await CallingEmulator.StartAsync(parsed.Options);
Console.WriteLine($"Calling API emulator listening on {emulator.BaseUrl} (speed x{emulator.Options.Speed.ToString(CultureInfo.InvariantCulture)}, flat media {(emulator.Options.AcceptFlatMedia ? "accepted" : "rejected")}, dialect {emulator.Options.Dialect.Describe()})");
Console.WriteLine($"  project id:  {emulator.ProjectId}");
Console.WriteLine(parsed.ShowSecrets ? $"  api token:   {emulator.ApiToken}" : "  api token:   (hidden; --show-secrets prints it, --api-token sets it)");
Console.WriteLine(parsed.ShowSecrets ? $"  signing key: {emulator.SigningKey}" : "  signing key: (hidden; --show-secrets prints it, --signing-key sets it)");
Console.WriteLine("Point Playback at it with PLAYBACK_BASE_URL, SIGNALWIRE_PROJECT_ID, SIGNALWIRE_API_TOKEN and SIGNALWIRE_SIGNING_KEY.");
Console.WriteLine("Control: GET /__emulator/journal, PUT|DELETE /__emulator/faults, POST /__emulator/calls, DELETE /__emulator/calls/{id}. Ctrl+C stops.");
await emulator.WaitForShutdownAsync();
return 0;
