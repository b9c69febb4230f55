/// <summary>
/// What the quick start reads from the environment. With none of the SignalWire variables set it runs on the embedded
/// emulator; once any of them is set, the user means their space and every variable that needs is required: a partial set
/// is an error naming what is missing, never a silent fall-back to the emulator.
/// </summary>
internal sealed record QuickStartConfiguration(bool RealSpace, string? CallId, string? PublicUrl, int? ListenPort, string Target)
{
    private const string ProjectId = "SIGNALWIRE_PROJECT_ID";
    private const string ApiToken = "SIGNALWIRE_API_TOKEN";
    private const string Space = "SIGNALWIRE_SPACE";
    private const string BaseUrl = "PLAYBACK_BASE_URL";
    private const string SigningKey = "SIGNALWIRE_SIGNING_KEY";
    private const string CallIdVariable = "PLAYBACK_CALL_ID";
    private const string PublicUrlVariable = "PLAYBACK_PUBLIC_URL";
    private const string ListenPortVariable = "PLAYBACK_LISTEN_PORT";

    /// <summary>The variables that say "use my space"; every one of them but one of SPACE / BASE_URL is required then.</summary>
    private static readonly string[] RealSpaceVariables = [ProjectId, ApiToken, Space, BaseUrl, SigningKey, CallIdVariable, PublicUrlVariable];

    public static bool TryRead(out QuickStartConfiguration configuration, out string error) =>
        TryRead(name => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null, out configuration, out error);

    public static bool TryRead(Func<string, string?> env, out QuickStartConfiguration configuration, out string error)
    {
        configuration = new QuickStartConfiguration(false, null, null, null, "the embedded emulator");
        error = string.Empty;
        var set = RealSpaceVariables.Where(v => env(v) is not null).ToList();
        if (set.Count == 0)
        {
            return true; // the emulator; PLAYBACK_LISTEN_PORT only matters for a tunnel, so it is not read
        }

        var hasSpace = env(Space) is not null || env(BaseUrl) is not null;
        var missing = new[] { ProjectId, ApiToken, Space, SigningKey, CallIdVariable, PublicUrlVariable }
            .Where(v => v == Space ? !hasSpace : env(v) is null)
            .ToList();

        if (missing.Count > 0)
        {
            error = $"{Join(missing)} {(missing.Count == 1 ? "is" : "are")} not set. {Join(set)} {(set.Count == 1 ? "is" : "are")} set, so the quick start " +
                $"runs against your space and needs {ProjectId}, {ApiToken}, {Space} (or {BaseUrl}), {SigningKey}, {CallIdVariable} and {PublicUrlVariable}; " +
                "unset them all to run on the embedded emulator.";
            return false;
        }

        var publicUrl = env(PublicUrlVariable)!;
        if (!Uri.TryCreate(publicUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = $"{PublicUrlVariable} must be an absolute http(s) URL where SignalWire reaches this program (was \"{publicUrl}\").";
            return false;
        }

        var port = 5000;
        if (env(ListenPortVariable) is { } text && (!int.TryParse(text, out port) || port is < 1 or > 65535))
        {
            error = $"{ListenPortVariable} must be a port number from 1 to 65535 (was \"{text}\").";
            return false;
        }

        configuration = new QuickStartConfiguration(true, env(CallIdVariable), publicUrl.TrimEnd('/'), port, env(Space) ?? env(BaseUrl)!);
        return true;
    }

    private static string Join(IReadOnlyList<string> names) =>
        names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[^1];
}
