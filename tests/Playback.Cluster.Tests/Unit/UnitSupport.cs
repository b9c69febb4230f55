using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;

namespace Playback.Cluster.Tests.Unit;

/// <summary>One request the fake API received.</summary>
internal sealed record ApiCall(string Command, string CallId, string ControlId, double? Volume = null, IReadOnlyList<MediaItem>? Media = null);

/// <summary>
/// An in-memory ICallingApi for the unit tests (copied in spirit from Playback.Tests): records every request in arrival
/// order and answers through <see cref="Respond"/> (default: at once). Hold requests open with a TaskCompletionSource.
/// </summary>
internal sealed class FakeCallingApi : ICallingApi
{
    private readonly ConcurrentQueue<ApiCall> _requests = new();

    public Func<ApiCall, Task> Respond { get; set; } = _ => Task.CompletedTask;

    public IReadOnlyList<ApiCall> Requests => _requests.ToList();

    public Task PlayAsync(string callId, string controlId, IReadOnlyList<MediaItem> media, PlayOptions options, CancellationToken cancellationToken) =>
        Run(new ApiCall(CallingApi.Commands.Play, callId, controlId, options.Volume, media));

    public Task PauseAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        Run(new ApiCall(CallingApi.Commands.Pause, callId, controlId));

    public Task ResumeAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        Run(new ApiCall(CallingApi.Commands.Resume, callId, controlId));

    public Task StopAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        Run(new ApiCall(CallingApi.Commands.Stop, callId, controlId));

    public Task SetVolumeAsync(string callId, string controlId, double volume, CancellationToken cancellationToken) =>
        Run(new ApiCall(CallingApi.Commands.Volume, callId, controlId, volume));

    private Task Run(ApiCall call)
    {
        _requests.Enqueue(call);
        return Respond(call);
    }
}

/// <summary>
/// Stands in for the shard: creates the call actor as its child and forwards everything the child tells its parent
/// (passivation requests, PassivationCancelled) to a probe. Ask it <see cref="GetChild"/> for the child.
/// </summary>
internal sealed class ForwardingParent : UntypedActor
{
    private readonly IActorRef _probe;
    private readonly IActorRef _child;

    public ForwardingParent(Props childProps, IActorRef probe)
    {
        _probe = probe;
        _child = Context.ActorOf(childProps, "call");
    }

    public static Props Props(Props childProps, IActorRef probe) =>
        Akka.Actor.Props.Create(() => new ForwardingParent(childProps, probe));

    protected override void OnReceive(object message)
    {
        if (message is GetChild)
        {
            Sender.Tell(_child);
        }
        else
        {
            _probe.Forward(message);
        }
    }
}

internal sealed class GetChild
{
    public static readonly GetChild Instance = new();

    private GetChild()
    {
    }
}

internal static class UnitConfig
{
    /// <summary>The Playback reference (it defines the call actors' mailbox) with quiet logging.</summary>
    public static Config WithPlayback { get; } =
        ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(PlaybackConfig.Reference);
}
