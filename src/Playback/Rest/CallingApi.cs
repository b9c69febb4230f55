using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using Flurl.Http;
using Flurl.Http.Configuration;

namespace Playback;

/// <summary>The Calling API over HTTP (Flurl + System.Text.Json): <c>POST {base}/api/calling/calls</c> with Basic auth.</summary>
internal sealed partial class CallingApi : ICallingApi, IDisposable
{
    /// <summary>The command names on the wire.</summary>
    public static class Commands
    {
        /// <summary><c>calling.play</c>.</summary>
        public const string Play = "calling.play";

        /// <summary><c>calling.play.pause</c>.</summary>
        public const string Pause = "calling.play.pause";

        /// <summary><c>calling.play.resume</c>.</summary>
        public const string Resume = "calling.play.resume";

        /// <summary><c>calling.play.stop</c>.</summary>
        public const string Stop = "calling.play.stop";

        /// <summary><c>calling.play.volume</c>.</summary>
        public const string Volume = "calling.play.volume";
    }

    private readonly IFlurlClient _client;
    private readonly bool _ownsClient;
    private readonly TimeSpan _requestTimeout;

    // The one endpoint every command posts to, as an absolute URL built once (the client's Request(segments) combines,
    // validates and parses it again for every request).
    private readonly string _callsUrl;
    private readonly Uri _callsUri;

    /// <summary>Creates a client for the settings' space or base URL and credentials.</summary>
    /// <param name="settings">Settings with <see cref="PlaybackSettings.ProjectId"/>, <see cref="PlaybackSettings.ApiToken"/> and a space or base URL.</param>
    /// <exception cref="PlaybackConfigurationException">The settings are incomplete.</exception>
    public CallingApi(PlaybackSettings settings)
        : this(settings, client: null)
    {
    }

    internal CallingApi(PlaybackSettings settings, IFlurlClient? client)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _requestTimeout = settings.RequestTimeout;
        _ownsClient = client is null;
        var baseUrl = settings.ResolveBaseUrl().AbsoluteUri;
        _client = client ?? new FlurlClient(CreateHttpClient(settings), baseUrl);
        _client.BaseUrl ??= baseUrl;
        _callsUrl = Flurl.Url.Combine(_client.BaseUrl, "api", "calling", "calls");
        _callsUri = new Uri(_callsUrl);
        _client.Settings.JsonSerializer = new DefaultJsonSerializer(WireJsonContext.Default.Options);
        _client.Settings.Timeout = settings.RequestTimeout;
        _client.Settings.HttpVersion = "2.0";
        _client.Settings.Redirects.Enabled = false; // a redirected command went nowhere: its 3xx is the answer (see Unsuccessful)
        if (_ownsClient)
        {
            // On the HttpClient Playback owns: HttpClient adds its default headers to each request as it sends it, while
            // Flurl copies a client's headers into every request and again into every HttpRequestMessage (a fifth of the
            // command path's allocations).
            var headers = _client.HttpClient.DefaultRequestHeaders;
            headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(settings.ProjectId + ":" + settings.ApiToken)));
            headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            headers.UserAgent.ParseAdd(UserAgent);
        }
        else
        {
            _client.WithBasicAuth(settings.ProjectId!, settings.ApiToken!)
                .WithHeader("Accept", "application/json")
                .WithHeader("User-Agent", UserAgent);
        }
    }

    /// <summary>
    /// The HTTP client: a bounded connection pool (<see cref="PlaybackSettings.MaxConnections"/>; requests beyond it wait
    /// for a free connection in order), HTTP/2 when the server offers it over TLS (then many requests share one connection).
    /// </summary>
    private static HttpClient CreateHttpClient(PlaybackSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.MaxConnections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            EnableMultipleHttp2Connections = true,
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            AllowAutoRedirect = false,
        };
        return new HttpClient(handler)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = System.Net.HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    /// <summary>How long one request may take (its answer included): enforced on every request, by the HTTP client's timeout.</summary>
    internal TimeSpan RequestTimeout => _requestTimeout;

    /// <summary>The User-Agent sent with every request: <c>Playback/&lt;assembly version&gt;</c>.</summary>
    public static string UserAgent { get; } = "Playback/" + ReadVersion();

    /// <inheritdoc />
    public Task PlayAsync(string callId, string controlId, IReadOnlyList<MediaItem> media, PlayOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        PlayValidation.ValidateCallId(callId);
        PlayValidation.ValidateControlId(controlId, "control_id");
        PlayValidation.ValidatePlay(media, options);
        var body = new CallCommandBody<PlayParams>(callId, Commands.Play, new PlayParams(controlId, media)
        {
            Volume = options.Volume,
            Direction = WireNames.Of(options.Direction),
            Loop = options.Loop,
            Language = options.Language,
            Voice = options.Voice,
            Gender = WireNames.Of(options.Gender),
            StatusUrl = options.StatusUrl?.AbsoluteUri,
        });
        return SendAsync(body, callId, controlId, cancellationToken);
    }

    /// <inheritdoc />
    public Task PauseAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        SendControlAsync(Commands.Pause, callId, controlId, cancellationToken);

    /// <inheritdoc />
    public Task ResumeAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        SendControlAsync(Commands.Resume, callId, controlId, cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        SendControlAsync(Commands.Stop, callId, controlId, cancellationToken);

    /// <inheritdoc />
    public Task SetVolumeAsync(string callId, string controlId, double volume, CancellationToken cancellationToken)
    {
        PlayValidation.ValidateCallId(callId);
        PlayValidation.ValidateControlId(controlId, "control_id");
        PlayValidation.ValidateVolume(volume, "volume");
        return SendAsync(new CallCommandBody<VolumeParams>(callId, Commands.Volume, new VolumeParams(controlId, volume)), callId, controlId, cancellationToken);
    }

    /// <summary>Disposes the HTTP client when this instance created it.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    private Task SendControlAsync(string command, string callId, string controlId, CancellationToken cancellationToken)
    {
        PlayValidation.ValidateCallId(callId);
        PlayValidation.ValidateControlId(controlId, "control_id");
        return SendAsync(new CallCommandBody<ControlParams>(callId, command, new ControlParams(controlId)), callId, controlId, cancellationToken);
    }

    /// <summary>Set by the manager: where each HTTP attempt is counted and timed.</summary>
    internal PlaybackTelemetry? Telemetry { get; set; }

    private async Task SendAsync<TParams>(CallCommandBody<TParams> body, string callId, string controlId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        IFlurlResponse response;
        try
        {
            // The client's timeout is this API's request timeout (set above): no per-request settings. The status decides
            // (success = 2xx, the body is optional): a 2xx whose body then breaks off was still applied, and must not be
            // taken for a lost answer and sent again.
            var request = new FlurlRequest(_callsUrl) { Client = _client };
            PlaybackActivities.InjectTraceContext(request); // before the first await: the thread's outgoing command is this request's
            response = await request.PostJsonAsync(body, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Telemetry is { } telemetry && telemetry.AttemptFailed(body.Command, started, e))
        {
            // Never caught: the filter only counts the failed attempt.
            throw;
        }
        catch (FlurlHttpTimeoutException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CallingApiException(body.Command, callId, controlId, null, $"no answer within {_requestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", null, null, isTransient: true, inner: e.InnerException)
            {
                MayHaveBeenApplied = true,
            };
        }
        catch (FlurlHttpException e) when (e.StatusCode is null)
        {
            if (cancellationToken.IsCancellationRequested || e.InnerException is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException($"{body.Command} for call {callId} was cancelled.", e, cancellationToken);
            }

            throw new CallingApiException(body.Command, callId, controlId, null, "transport failure: " + (e.InnerException?.Message ?? e.Message), null, null, isTransient: true, inner: e.InnerException)
            {
                MayHaveBeenApplied = !NeverSent(e.InnerException),
            };
        }
        catch (FlurlHttpException e)
        {
            throw await ToApiExceptionAsync(e, body.Command, callId, controlId, started, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }

        using (response)
        {
            Telemetry?.ApiAttempt(body.Command, started, response.StatusCode, null);
            if (Unsuccessful(response) is { } refusal)
            {
                throw new CallingApiException(body.Command, callId, controlId, response.StatusCode, refusal.Reason, null, FindRequestId(response.ResponseMessage), isTransient: false)
                {
                    MayHaveBeenApplied = refusal.MayHaveBeenApplied,
                };
            }
        }
    }

    private static string ReadVersion()
    {
        var assembly = typeof(CallingApi).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(informational))
        {
            var plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? informational : informational[..plus];
        }

        return assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }
}
