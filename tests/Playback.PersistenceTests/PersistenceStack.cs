using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Playback.Emulator;

namespace Playback.PersistenceTests;

/// <summary>
/// The emulator over real HTTP, a webhook relay whose address outlives the managers (so that webhooks for plays started
/// before a restart reach the manager after it), and managers started and stopped on one store.
/// </summary>
public sealed class PersistenceStack : IAsyncDisposable
{
    private readonly List<PlaybackManager> _managers = [];
    private readonly List<Akka.Actor.ActorSystem> _systems = [];
    private PlaybackManager? _current;

    private PersistenceStack(CallingEmulator emulator, LoopbackWebApp relay)
    {
        Emulator = emulator;
        Relay = relay;
    }

    public CallingEmulator Emulator { get; }

    public LoopbackWebApp Relay { get; }

    public string WebhookUrl => Relay.BaseUrl + "/hook";

    /// <summary>When set, the relay answers every webhook 503 without passing it on (a service that is down).</summary>
    public bool Deaf { get; set; }

    /// <summary>Webhooks the relay answered while no manager was running (they are answered 503, as a stopped service would).</summary>
    public int Missed { get; private set; }

    public static async Task<PersistenceStack> StartAsync(EmulatorOptions? options = null)
    {
        var emulator = await CallingEmulator.StartAsync(options ?? new EmulatorOptions { Speed = 20 });
        PersistenceStack? stack = null;
        var relay = await LoopbackWebApp.StartAsync(map: app => app.MapPost("/hook", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var manager = stack!._current;
            if (manager is null || !manager.IsRunning || stack.Deaf)
            {
                stack.Missed++;
                return Results.StatusCode((int)HttpStatusCode.ServiceUnavailable);
            }

            var url = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}{context.Request.QueryString}";
            var headers = context.Request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString()));
            var result = await manager.HandleWebhookAsync(url, headers, body.ToArray());
            return Results.StatusCode(result.Status != WebhookStatus.Rejected ? 200 : result.Rejection == WebhookRejection.Unavailable ? 503 : 400);
        }));
        stack = new PersistenceStack(emulator, relay);
        return stack;
    }

    public PlaybackSettings Settings(PlaybackPersistenceSettings? persistence) => new()
    {
        ProjectId = Emulator.ProjectId,
        ApiToken = Emulator.ApiToken,
        SigningKey = Emulator.SigningKey,
        BaseUrl = Emulator.BaseUrl,
        DefaultStatusUrl = new Uri(WebhookUrl),
        Persistence = persistence,
        AskTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A manager on the store; it receives the relay's webhooks from now on.</summary>
    public PlaybackManager Start(PlaybackPersistenceSettings? persistence, ICallingApi? api = null)
    {
        var settings = Settings(persistence);
        PlaybackManager manager;
        if (api is null)
        {
            manager = PlaybackManager.Create(settings);
        }
        else
        {
            var system = Akka.Actor.ActorSystem.Create("playback");
            _systems.Add(system);
            manager = PlaybackManager.Create(system, settings, api);
        }

        _managers.Add(manager);
        _current = manager;
        return manager;
    }

    /// <summary>Stops the current manager gracefully (what a redeploy does).</summary>
    public async Task StopAsync(PlaybackManager manager)
    {
        if (ReferenceEquals(_current, manager))
        {
            _current = null;
        }

        await manager.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var manager in _managers)
        {
            await manager.DisposeAsync();
        }

        foreach (var system in _systems)
        {
            await system.Terminate();
        }

        await Relay.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
