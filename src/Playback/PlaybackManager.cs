using System.Collections.Immutable;
using IScheduler = System.Reactive.Concurrency.IScheduler;
using Akka.Actor;
using Akka.Event;

namespace Playback;

/// <summary>
/// The entry point: plays media on calls and controls the playbacks, one actor per call, and publishes every change as
/// Rx streams. Thread-safe; create one per process (or per ActorSystem) and dispose it on shutdown.
/// </summary>
public sealed class PlaybackManager : IAsyncDisposable
{
    private static long _instances;

    private readonly ActorSystem _system;
    private readonly bool _ownsSystem;
    private readonly ICallingApi _api;
    private readonly bool _ownsApi;
    private readonly IActorRef _registry;
    private readonly PlaybackCounters _counters = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ILoggingAdapter _log;
    private int _disposed;

    private PlaybackManager(ActorSystem system, bool ownsSystem, PlaybackSettings settings, ICallingApi api, bool ownsApi, IScheduler? deliveryScheduler, Func<ActorSystem, PlaybackActorSettings, IActorRef>? startRouter = null)
    {
        // Before any call actor (or Ask) can touch the scheduler from a pool thread: see SchedulerWarmup.
        SchedulerWarmup.Run(system);
        _system = system;
        _ownsSystem = ownsSystem;
        _api = api;
        _ownsApi = ownsApi;
        Settings = settings;
        _log = Logging.GetLogger(system, typeof(PlaybackManager));
        Hub = new PlaybackEventHub(deliveryScheduler, e => _log.Warning("A playback subscriber threw and was unsubscribed: {0}", e.GetType().Name + ": " + e.Message));
        system.Settings.InjectTopLevelFallback(PlaybackConfig.Reference);
        var actorSettings = new PlaybackActorSettings(api, Hub, _counters, settings.IdleTimeout, settings.StatusTimeout, _shutdown.Token)
        {
            // Webhooks that prove an attempt landed stop ResilientCallingApi from retrying it (a given API shares one board).
            Evidence = api is ResilientCallingApi resilient ? resilient.Evidence ??= new LandedEvidence() : null,
            SettleRetryDelay = settings.SettleRetryDelay,
        };
        _registry = startRouter is null
            ? system.ActorOf(CallRegistry.Props(actorSettings), "playback-" + Interlocked.Increment(ref _instances).ToString(System.Globalization.CultureInfo.InvariantCulture))
            : startRouter(system, actorSettings);
        system.WhenTerminated.ContinueWith(_ => Shutdown(), TaskScheduler.Default);
    }

    /// <summary>The settings in force.</summary>
    public PlaybackSettings Settings { get; }

    /// <summary>Every playback event of every call, from now on. Delivered off the actor threads; a throwing subscriber is unsubscribed.</summary>
    public IObservable<PlaybackEvent> Events => Hub.Events;

    /// <summary>Counts since the manager started.</summary>
    public PlaybackStatistics Statistics => _counters.Read(_api as ResilientCallingApi);

    /// <summary>The actor that routes commands and webhooks to the call actors (for registration in Akka.Hosting's ActorRegistry).</summary>
    public IActorRef CallRegistryActor => _registry;

    /// <summary>Whether the manager accepts commands: not disposed and its ActorSystem not terminated.</summary>
    public bool IsRunning => Volatile.Read(ref _disposed) == 0 && !_shutdown.IsCancellationRequested && !_system.WhenTerminated.IsCompleted;

    internal PlaybackEventHub Hub { get; }

    /// <summary>Creates a manager with its own ActorSystem and the HTTP Calling API client.</summary>
    /// <param name="settings">Settings with credentials and a space or base URL.</param>
    /// <returns>The manager; dispose it to stop its ActorSystem.</returns>
    /// <exception cref="PlaybackConfigurationException">The settings are incomplete or wrong (one message lists everything).</exception>
    public static PlaybackManager Create(PlaybackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var system = ActorSystem.Create("playback", PlaybackConfig.Reference);
        return new PlaybackManager(system, ownsSystem: true, settings, HttpApi(settings), ownsApi: true, deliveryScheduler: null);
    }

    /// <summary>Creates a manager inside an existing ActorSystem with the HTTP Calling API client.</summary>
    /// <param name="system">The ActorSystem to run the call actors in; disposing the manager stops only its own actors.</param>
    /// <param name="settings">Settings with credentials and a space or base URL.</param>
    /// <returns>The manager.</returns>
    /// <exception cref="PlaybackConfigurationException">The settings are incomplete or wrong.</exception>
    public static PlaybackManager Create(ActorSystem system, PlaybackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return new PlaybackManager(system, ownsSystem: false, settings, HttpApi(settings), ownsApi: true, deliveryScheduler: null);
    }

    /// <summary>Creates a manager inside an existing ActorSystem that sends commands through the given API (a substitute in tests, or a decorated client). The API is used as given: wrap it in <see cref="ResilientCallingApi"/> for retries, breaker and rate limit.</summary>
    /// <param name="system">The ActorSystem to run the call actors in.</param>
    /// <param name="settings">Settings; credentials are not required.</param>
    /// <param name="api">The Calling API implementation.</param>
    /// <returns>The manager.</returns>
    /// <exception cref="PlaybackConfigurationException">A setting is wrong.</exception>
    public static PlaybackManager Create(ActorSystem system, PlaybackSettings settings, ICallingApi api) =>
        Create(system, settings, api, deliveryScheduler: null);

    /// <summary>Creates a manager that owns (and terminates on dispose) an ActorSystem made by the caller, e.g. with a logging setup.</summary>
    internal static PlaybackManager CreateOwning(ActorSystem system, PlaybackSettings settings)
    {
        settings.Validate();
        return new PlaybackManager(system, ownsSystem: true, settings, HttpApi(settings), ownsApi: true, deliveryScheduler: null);
    }

    /// <summary>The HTTP client behind the resilience pipeline.</summary>
    private static ResilientCallingApi HttpApi(PlaybackSettings settings) =>
        new(new CallingApi(settings), settings.Resilience, settings.RequestTimeout);

    /// <summary>
    /// Creates a manager whose commands and webhooks go to the actor <paramref name="startRouter"/> returns (Playback.Cluster's
    /// gateway to the shard region) instead of a local call registry.
    /// </summary>
    internal static PlaybackManager CreateRouted(ActorSystem system, PlaybackSettings settings, ICallingApi? api, Func<ActorSystem, PlaybackActorSettings, IActorRef> startRouter)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(requireCredentials: api is null);
        return new PlaybackManager(system, ownsSystem: false, settings, api ?? HttpApi(settings), ownsApi: api is null, deliveryScheduler: null, startRouter);
    }

    internal static PlaybackManager Create(ActorSystem system, PlaybackSettings settings, ICallingApi api, IScheduler? deliveryScheduler)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(api);
        settings.Validate(requireCredentials: false);
        return new PlaybackManager(system, ownsSystem: false, settings, api, ownsApi: false, deliveryScheduler);
    }

    /// <summary>The events of one call: first the current state of each of its playbacks that has not ended, then every change.</summary>
    /// <param name="callId">The call.</param>
    /// <returns>The stream; it completes when the manager is disposed.</returns>
    public IObservable<PlaybackEvent> EventsFor(string callId)
    {
        PlayValidation.ValidateCallId(callId);
        return Hub.EventsFor(callId);
    }

    /// <summary>The call's playbacks that have not ended (active first, then queued), as last published.</summary>
    /// <param name="callId">The call.</param>
    /// <returns>The playbacks; empty when the call has none.</returns>
    public IReadOnlyList<PlaybackSnapshot> Snapshot(string callId)
    {
        PlayValidation.ValidateCallId(callId);
        return Hub.Snapshot(callId);
    }

    /// <summary>Plays media on a call. Everything is validated before anything is sent.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="media">The items, played in order (see <see cref="Media"/>).</param>
    /// <param name="options">Optional settings; <see cref="PlayOptions.WhenBusy"/> decides what happens when the call already has a playback.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome (the command itself is not withdrawn).</param>
    /// <returns>The handle, once the API accepted the play (state Playing or later) or, when queued, at once (state Queued).</returns>
    /// <exception cref="ArgumentException">A value breaks its rule; ParamName names the field, e.g. <c>media[2].duration</c> or <c>volume</c>. ParamName <c>status_url</c> also when the play has no status URL at all (neither <see cref="PlayOptions.StatusUrl"/> nor <see cref="PlaybackSettings.DefaultStatusUrl"/>) and <see cref="PlaybackSettings.AllowUntrackedPlays"/> is off.</exception>
    /// <exception cref="PlaybackStateException">The control id is in use, or the call is busy and <see cref="PlayConflict.Reject"/> was asked.</exception>
    /// <exception cref="CallingApiException">The API refused the play (the playback is Failed); <see cref="CallGoneException"/> when the call is gone.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    /// <exception cref="PlaybackShutdownException">Playback is shutting down.</exception>
    public async Task<PlaybackHandle> PlayAsync(string callId, IEnumerable<MediaItem> media, PlayOptions? options = null, CancellationToken cancellationToken = default)
    {
        PlayValidation.ValidateCallId(callId);
        var items = media is null ? throw new ArgumentNullException(nameof(media), "media must not be null.") : media.ToImmutableArray();
        options ??= PlayOptions.Default;
        PlayValidation.ValidatePlay(items, options);
        var statusUrl = options.StatusUrl ?? Settings.DefaultStatusUrl;
        if (statusUrl is null && !Settings.AllowUntrackedPlays)
        {
            throw new ArgumentException(
                "status_url is required: without webhooks Playback never learns that a play finished and would report it Playing forever. " +
                "Set PlaybackSettings.DefaultStatusUrl (playback.default-status-url or PLAYBACK_STATUS_URL), PlayOptions.StatusUrl, or, with Playback.Hosting, " +
                "PublicBaseUrl (plays then report to the endpoint mapped with MapPlaybackWebhooks); or opt into untracked plays with PlaybackSettings.AllowUntrackedPlays.",
                "status_url");
        }

        ThrowIfDisposed();
        var controlId = options.ControlId ?? Guid.NewGuid().ToString();
        options = options with { ControlId = controlId, StatusUrl = statusUrl };
        var (tracker, created) = Hub.Track(callId, controlId);
        PlaybackSnapshot accepted;
        try
        {
            accepted = await AskAsync(new StartPlay(callId, controlId, items, options), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (created)
            {
                Hub.Untrack(tracker);
            }

            throw;
        }

        return new PlaybackHandle(this, tracker, accepted, isTracked: statusUrl is not null);
    }

    /// <summary>Pauses a playback; succeeds at once without a request when it is already paused.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="PlaybackStateException">No active playback with that control id.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    public Task<PlaybackSnapshot> PauseAsync(string callId, string controlId, CancellationToken cancellationToken = default) =>
        ControlAsync(callId, controlId, (c, i) => new PausePlay(c, i), cancellationToken);

    /// <summary>Resumes a paused playback; succeeds at once without a request when it is already playing.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="PlaybackStateException">No active playback with that control id.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    public Task<PlaybackSnapshot> ResumeAsync(string callId, string controlId, CancellationToken cancellationToken = default) =>
        ControlAsync(callId, controlId, (c, i) => new ResumePlay(c, i), cancellationToken);

    /// <summary>Stops a playback (it ends as Stopped); a queued one is dropped without a request.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="PlaybackStateException">No active playback with that control id.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    public Task<PlaybackSnapshot> StopAsync(string callId, string controlId, CancellationToken cancellationToken = default) =>
        ControlAsync(callId, controlId, (c, i) => new StopPlay(c, i), cancellationToken);

    /// <summary>Sets a playback's volume (absolute, in dB); a queued playback starts at the new level.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="db">-40 to 40 inclusive.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="ArgumentException"><paramref name="db"/> is out of range or not finite (ParamName <c>volume</c>).</exception>
    /// <exception cref="PlaybackStateException">No playback with that control id that has not ended.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    public Task<PlaybackSnapshot> SetVolumeAsync(string callId, string controlId, double db, CancellationToken cancellationToken = default)
    {
        PlayValidation.ValidateVolume(db, "volume");
        return ControlAsync(callId, controlId, (c, i) => new ChangeVolume(c, i, db), cancellationToken);
    }

    /// <summary>
    /// Handles a status webhook (framework-agnostic): checks the signature per <see cref="PlaybackSettings.EffectiveSignaturePolicy"/>
    /// (under <see cref="WebhookSignaturePolicy.Off"/>, the default without a signing key, nothing is checked and every webhook is trusted),
    /// parses <c>calling.call.play</c> / <c>calling.call.state</c> (enveloped or bare) and routes it to the call's actor.
    /// Never throws for bad input.
    /// </summary>
    /// <param name="requestUrl">The full public URL SignalWire called, query included (not rebuilt from forwarded headers).</param>
    /// <param name="headers">The request headers (names compared case-insensitively).</param>
    /// <param name="body">The raw body bytes.</param>
    /// <param name="cancellationToken">Stops waiting for the actor.</param>
    /// <returns>Accepted, Rejected (with the reason; nothing changed) or Ignored (unknown call or control id).</returns>
    public async Task<WebhookResult> HandleWebhookAsync(string requestUrl, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var result = await RouteWebhookAsync(requestUrl, headers, body, cancellationToken).ConfigureAwait(false);
        _counters.Webhook(result.Status);
        return result;
    }

    /// <summary>Stops the call actors (every waiting command gets a <see cref="PlaybackShutdownException"/>), completes the streams, and stops the ActorSystem when the manager created it.</summary>
    /// <returns>A task that completes when everything has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await _registry.GracefulStop(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TaskCanceledException or AskTimeoutException)
        {
            _log.Warning("Playback's call actors did not stop within 10 s.");
        }

        Shutdown();
        if (_ownsSystem)
        {
            await _system.Terminate().ConfigureAwait(false);
        }

        if (_ownsApi && _api is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    private async Task<WebhookResult> RouteWebhookAsync(string requestUrl, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (requestUrl is null || headers is null)
        {
            return WebhookResult.Rejected("the request URL and headers are required");
        }

        var policy = Settings.EffectiveSignaturePolicy;
        if (policy != WebhookSignaturePolicy.Off)
        {
            string? sha256 = null, sha1 = null;
            foreach (var (name, value) in headers)
            {
                if (name.Equals(WebhookSignature.Sha256Header, StringComparison.OrdinalIgnoreCase))
                {
                    sha256 = value;
                }
                else if (name.Equals(WebhookSignature.Sha1Header, StringComparison.OrdinalIgnoreCase))
                {
                    sha1 = value;
                }
            }

            var present = !string.IsNullOrWhiteSpace(sha256) || !string.IsNullOrWhiteSpace(sha1);
            if (!present && policy == WebhookSignaturePolicy.Required)
            {
                return WebhookResult.Rejected("signature missing", WebhookRejection.Signature);
            }

            if (present && !WebhookSignature.IsValid(Settings.SigningKey!, requestUrl, body.Span, sha256, sha1))
            {
                return WebhookResult.Rejected("signature invalid", WebhookRejection.Signature);
            }
        }

        var (message, early) = WebhookParser.Parse(body);
        if (early is not null)
        {
            return early;
        }

        if (Volatile.Read(ref _disposed) == 1)
        {
            return WebhookResult.Rejected("Playback is shutting down", WebhookRejection.Unavailable);
        }

        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token) : null;
        try
        {
            return await _registry.Ask<WebhookResult>(message!, Settings.AskTimeout, linked?.Token ?? _shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is OperationCanceledException or AskTimeoutException)
        {
            return WebhookResult.Rejected(_shutdown.IsCancellationRequested ? "Playback is shutting down" : "the call's actor did not answer in time", WebhookRejection.Unavailable);
        }
    }

    private Task<PlaybackSnapshot> ControlAsync(string callId, string controlId, Func<string, string, IPlaybackCommand> create, CancellationToken cancellationToken)
    {
        PlayValidation.ValidateCallId(callId);
        PlayValidation.ValidateControlId(controlId, "control_id");
        ThrowIfDisposed();
        return AskAsync(create(callId, controlId), cancellationToken);
    }

    private async Task<PlaybackSnapshot> AskAsync(IPlaybackCommand command, CancellationToken cancellationToken)
    {
        // Linking costs an allocation per command: only link when the caller's token can fire.
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token) : null;
        CommandReply reply;
        try
        {
            reply = await _registry.Ask<CommandReply>(command, Settings.AskTimeout, linked?.Token ?? _shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"Stopped waiting for {command.Name} on call {command.CallId}; the command itself may still complete.", null, cancellationToken);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            throw new PlaybackShutdownException($"{command.Name} for call {command.CallId} got no outcome: Playback is shutting down.", command.CallId, command.ControlId);
        }
        catch (AskTimeoutException)
        {
            throw new TimeoutException($"{command.Name} for call {command.CallId} (control id {command.ControlId}) got no outcome within {Settings.AskTimeout}.");
        }

        return reply switch
        {
            CommandSucceeded ok => ok.Playback,
            CommandFailed failed => throw failed.Error,
            _ => throw new InvalidOperationException($"Unexpected reply {reply.GetType().Name}."),
        };
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1 || _shutdown.IsCancellationRequested, this);

    private void Shutdown()
    {
        try
        {
            _shutdown.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        Hub.Complete(new PlaybackShutdownException("Playback shut down before the playback ended.", null, null));
    }
}
