using System.Collections.Immutable;
using IScheduler = System.Reactive.Concurrency.IScheduler;
using Akka.Actor;
using Akka.Event;
using Microsoft.Extensions.Logging;
using Activity = System.Diagnostics.Activity;

namespace Playback;

/// <summary>
/// The entry point: plays media on calls and controls the playbacks, one actor per call, and publishes every change as
/// Rx streams. Thread-safe; create one per process (or per ActorSystem) and dispose it on shutdown.
/// </summary>
public sealed partial class PlaybackManager : IAsyncDisposable
{
    private static long _instances;

    private readonly ActorSystem _system;
    private readonly bool _ownsSystem;
    private readonly ICallingApi _api;
    private readonly bool _ownsApi;
    private readonly IActorRef _registry;
    private readonly CallRoutes? _routes;
    private readonly PlaybackCounters _counters = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ILoggingAdapter _log;

    /// <summary>The path the replies of the local registry's commands are sent to (null: a router that may answer from another node, asked through Akka).</summary>
    private readonly ActorPath? _replyPath;
    private int _disposed;

    private PlaybackManager(ManagerSetup setup, ICallingApi api, bool ownsApi)
    {
        var (system, ownsSystem, settings) = setup;
        // Before any call actor (or Ask) can touch the scheduler from a pool thread: see SchedulerWarmup.
        SchedulerWarmup.Run(system);
        _system = system;
        _ownsSystem = ownsSystem;
        _api = api;
        _ownsApi = ownsApi;
        Settings = settings;
        _log = Logging.GetLogger(system, typeof(PlaybackManager));
        Telemetry = PlaybackTelemetry.For(api, _counters, setup.LoggerFactory, settings.MeterFactory ?? setup.MeterFactory, _log);
        Hub = new PlaybackEventHub(setup.DeliveryScheduler, e => LogEvents.SubscriberFailed(Telemetry.Logger, e.GetType().Name, e.Message));
        system.Settings.InjectTopLevelFallback(PlaybackConfig.Reference);
        Store = settings.Persistence is { } persistence ? new PlaybackStore(persistence) : null;
        Store?.Register(system);

        var actorSettings = new PlaybackActorSettings(api, Hub, _counters, settings.IdleTimeout, settings.StatusTimeout, _shutdown.Token)
        {
            // Webhooks that prove an attempt landed stop ResilientCallingApi from retrying it (a given API shares one board).
            Evidence = api is ResilientCallingApi resilient ? resilient.Evidence ??= new LandedEvidence() : null,
            SettleRetryDelay = settings.SettleRetryDelay,
            LeftRequestWaitLimit = settings.AskTimeout,
            InlineAnswers = api is CallingApi or ResilientCallingApi { Inner: CallingApi },
            Telemetry = Telemetry,
            Persistence = settings.Persistence,
            Deletes = Store is null ? null : new DeleteGate(DeleteGate.DefaultLimit),
            Routes = setup.StartRouter is null ? new CallRoutes() : null,
        };
        _routes = actorSettings.Routes;
        _registry = setup.StartRouter?.Invoke(system, actorSettings) ?? StartRegistry(system, actorSettings);
        _replyPath = setup.StartRouter is null ? ((ExtendedActorSystem)system).Provider.TempPath() : null;
        system.WhenTerminated.ContinueWith(_ => Shutdown(), TaskScheduler.Default);
        // Off the creating thread: the store's drivers do their I/O synchronously (SQLite), and Create must not wait for it.
        Recovery = Store is null ? Task.CompletedTask : Task.Run(() => RecoverAsync(Store));
        FlushOnSystemShutdown(system);
    }

    /// <summary>The manager's own call registry, on Playback's dispatcher (<see cref="InlineExecutor"/>, registered on first use).</summary>
    private static IActorRef StartRegistry(ActorSystem system, PlaybackActorSettings settings)
    {
        InlineExecutor.Register(system);
        return system.ActorOf(CallRegistry.Props(settings).WithDispatcher(InlineExecutor.DispatcherId), "playback-" + Interlocked.Increment(ref _instances).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The settings in force.</summary>
    public PlaybackSettings Settings { get; }

    /// <summary>Every playback event of every call, from now on. Delivered off the actor threads; a throwing subscriber is unsubscribed.</summary>
    public IObservable<PlaybackEvent> Events => Hub.Events;

    /// <summary>Counts since the manager started.</summary>
    public PlaybackStatistics Statistics => _counters.Read(_api as ResilientCallingApi);

    /// <summary>The actor that routes commands and webhooks to the call actors (for registration in Akka.Hosting's ActorRegistry).</summary>
    internal IActorRef CallRegistryActor => _registry;

    /// <summary>The routes around the registry (null behind Playback.Cluster's router).</summary>
    internal CallRoutes? Routes => _routes;

    /// <summary>Whether the manager accepts commands: not disposed and its ActorSystem not terminated.</summary>
    public bool IsRunning => Volatile.Read(ref _disposed) == 0 && !_shutdown.IsCancellationRequested && !_system.WhenTerminated.IsCompleted;

    internal PlaybackEventHub Hub { get; }

    internal PlaybackTelemetry Telemetry { get; }

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
    /// <param name="cancellationToken">Stops waiting for the outcome (the command itself is not withdrawn); already cancelled, nothing is sent.</param>
    /// <returns>The handle, once the API accepted the play (state Playing or later) or, when queued, at once (state Queued).</returns>
    /// <exception cref="ArgumentException">A value breaks its rule; ParamName names the field, e.g. <c>media[2].duration</c> or <c>volume</c>. ParamName <c>status_url</c> also when the play has no status URL at all (neither <see cref="PlayOptions.StatusUrl"/> nor <see cref="PlaybackSettings.DefaultStatusUrl"/>) and <see cref="PlaybackSettings.AllowUntrackedPlays"/> is off.</exception>
    /// <exception cref="PlaybackStateException">The control id is in use, or the call is busy and <see cref="PlayConflict.Reject"/> was asked.</exception>
    /// <exception cref="CallingApiException">The API refused the play (the playback is Failed); <see cref="CallGoneException"/> when the call is gone.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    /// <exception cref="PlaybackShutdownException">Playback is shutting down.</exception>
    public Task<PlaybackHandle> PlayAsync(string callId, IEnumerable<MediaItem> media, PlayOptions? options = null, CancellationToken cancellationToken = default) =>
        Telemetry.CommandAsync("play", callId, options?.ControlId, () => PlayCoreAsync(callId, media, options, cancellationToken));

    /// <summary>The play itself, measured by <see cref="PlayAsync"/>.</summary>
    private async Task<PlaybackHandle> PlayCoreAsync(string callId, IEnumerable<MediaItem> media, PlayOptions? options, CancellationToken cancellationToken)
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
            accepted = await AskAsync(new StartPlay(callId, controlId, items, options) { Trace = PlaybackActivities.Command ?? Activity.Current }, cancellationToken).ConfigureAwait(false);
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
    /// <param name="cancellationToken">Stops waiting for the outcome; already cancelled, nothing is sent.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="PlaybackStateException">No active playback with that control id.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    public Task<PlaybackSnapshot> PauseAsync(string callId, string controlId, CancellationToken cancellationToken = default) =>
        ControlAsync("pause", callId, controlId, (c, i) => new PausePlay(c, i) { Trace = PlaybackActivities.Command ?? Activity.Current }, cancellationToken);

    /// <summary>Resumes a paused playback; succeeds at once without a request when it is already playing.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome; already cancelled, nothing is sent.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="PlaybackStateException">No active playback with that control id.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    public Task<PlaybackSnapshot> ResumeAsync(string callId, string controlId, CancellationToken cancellationToken = default) =>
        ControlAsync("resume", callId, controlId, (c, i) => new ResumePlay(c, i) { Trace = PlaybackActivities.Command ?? Activity.Current }, cancellationToken);

    /// <summary>Stops a playback (it ends as Stopped); a queued one is dropped without a request.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome; already cancelled, nothing is sent.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="PlaybackStateException">No active playback with that control id.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    public Task<PlaybackSnapshot> StopAsync(string callId, string controlId, CancellationToken cancellationToken = default) =>
        ControlAsync("stop", callId, controlId, (c, i) => new StopPlay(c, i) { Trace = PlaybackActivities.Command ?? Activity.Current }, cancellationToken);

    /// <summary>Sets a playback's volume (absolute, in dB); a queued playback starts at the new level.</summary>
    /// <param name="callId">The call.</param>
    /// <param name="controlId">The playback.</param>
    /// <param name="db">-40 to 40 inclusive.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome; already cancelled, nothing is sent.</param>
    /// <returns>The playback after the command.</returns>
    /// <exception cref="ArgumentException"><paramref name="db"/> is out of range or not finite (ParamName <c>volume</c>).</exception>
    /// <exception cref="PlaybackStateException">No playback with that control id that has not ended.</exception>
    /// <exception cref="CallingApiException">The API refused the command.</exception>
    /// <exception cref="TimeoutException">No outcome within <see cref="PlaybackSettings.AskTimeout"/>.</exception>
    public Task<PlaybackSnapshot> SetVolumeAsync(string callId, string controlId, double db, CancellationToken cancellationToken = default) =>
        ControlAsync("volume", callId, controlId, (c, i) => new ChangeVolume(c, i, db) { Trace = PlaybackActivities.Command ?? Activity.Current }, cancellationToken, () => PlayValidation.ValidateVolume(db, "volume"));

    /// <summary>Stops the call actors (every waiting command gets a <see cref="PlaybackShutdownException"/>), completes the streams, and stops the ActorSystem when the manager created it.</summary>
    /// <returns>A task that completes when everything has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await FlushStoreAsync().ConfigureAwait(false);
        try
        {
            await _registry.GracefulStop(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TaskCanceledException or AskTimeoutException)
        {
            LogEvents.ActorsDidNotStop(Telemetry.Logger, TimeSpan.FromSeconds(10));
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

        Telemetry.Dispose();
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
