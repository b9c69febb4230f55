using System.Globalization;

namespace Playback.Emulator;

/// <summary>The standalone program's options, from arguments first, then <c>EMULATOR_*</c> environment variables.</summary>
internal sealed record EmulatorCommandLine(EmulatorOptions Options, bool ShowSecrets, bool Help)
{
    public const string Usage = """
        usage: playback-emulator [options]     (from a clone: dotnet run --project src/Playback.Emulator.Tool -- [options])
          --port N              port on 127.0.0.1 (default 8088; 0 = any free port)     EMULATOR_PORT
          --speed X             media plays X times faster than real time (default 1)  EMULATOR_SPEED
          --accept-flat-media   accept {"type":"tts","text":...} besides the spec form EMULATOR_ACCEPT_FLAT_MEDIA=true
          --project-id ID       Basic auth user (default emulator-project)            EMULATOR_PROJECT_ID
          --api-token TOKEN     Basic auth password (default random)                  EMULATOR_API_TOKEN
          --signing-key KEY     webhook signing key (default random)                  EMULATOR_SIGNING_KEY
          --seed N              seed of probabilistic faults (default 1)              EMULATOR_SEED
          --audio-seconds S     duration of audio without a ?duration= hint (default 5) EMULATOR_AUDIO_SECONDS
          --dialect NAME        how errors are worded (default reference):             EMULATOR_DIALECT
                                  reference   422 already_active / not_found / not_active naming control_id;
                                              ended control ids reusable
                                  independent 422 E1017 without attribute for a used control id (never reusable);
                                              404 for a control command on an unknown or ended control id
          --show-secrets        print the token and signing key                       EMULATOR_SHOW_SECRETS=true
        """;

    public static EmulatorCommandLine Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--help" or "-h":
                    flags.Add("help");
                    break;
                case "--accept-flat-media" or "--show-secrets":
                    flags.Add(arg[2..]);
                    break;
                case "--port" or "--speed" or "--project-id" or "--api-token" or "--signing-key" or "--seed" or "--audio-seconds" or "--dialect":
                    if (i + 1 >= args.Count)
                    {
                        throw new ArgumentException($"{arg} needs a value.");
                    }

                    values[arg[2..]] = args[++i];
                    break;
                default:
                    throw new ArgumentException($"Unknown argument {arg}.");
            }
        }

        string? Get(string name) => values.GetValueOrDefault(name) ?? environment("EMULATOR_" + name.Replace('-', '_').ToUpperInvariant());
        bool Flag(string name) => flags.Contains(name) || string.Equals(environment("EMULATOR_" + name.Replace('-', '_').ToUpperInvariant()), "true", StringComparison.OrdinalIgnoreCase);

        var options = new EmulatorOptions
        {
            Port = Number("port", Get("port"), 8088, int.Parse),
            Speed = Number("speed", Get("speed"), 1.0, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)),
            AcceptFlatMedia = Flag("accept-flat-media"),
            Seed = Number("seed", Get("seed"), 1, int.Parse),
            DefaultAudioDuration = Number("audio-seconds", Get("audio-seconds"), TimeSpan.FromSeconds(5), s => TimeSpan.FromSeconds(double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture))),
            Dialect = Get("dialect") is { } dialect ? ParseDialect(dialect) : EmulatorDialect.Reference,
            LogToConsole = true,
        };
        options = options with
        {
            ProjectId = Get("project-id") ?? options.ProjectId,
            ApiToken = Get("api-token") ?? options.ApiToken,
            SigningKey = Get("signing-key") ?? options.SigningKey,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("Invalid option: " + e.Message, e);
        }

        return new EmulatorCommandLine(options, Flag("show-secrets"), flags.Contains("help"));
    }

    private static EmulatorDialect ParseDialect(string name)
    {
        try
        {
            return EmulatorDialect.FromName(name);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--dialect must be reference or independent (was \"{name}\").", e);
        }
    }

    private static T Number<T>(string name, string? value, T fallback, Func<string, T> parse)
    {
        if (value is null)
        {
            return fallback;
        }

        try
        {
            return parse(value);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ArgumentException($"--{name} must be a number (was \"{value}\").", e);
        }
    }
}
