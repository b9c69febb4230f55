using Akka.Actor;

namespace Playback;

/// <summary>
/// The sender of one command sent to the local call registry: completes the caller's task with the one reply. What
/// Akka's <c>Ask</c> does for it, without the costs a local reply does not need: no temporary actor registered (and
/// unregistered) under a path of its own, no continuation to unregister it, no extra timeout source and registrations.
/// The caller's code never runs on the actor's thread: the reply, the timeout and the cancellation complete the task on
/// the thread pool, as Ask's does. Not for a router whose replies may come from another node (Playback.Cluster keeps Ask).
/// </summary>
internal sealed class CommandPromise : MinimalActorRef
{
    private static readonly Action<CommandPromise> Deliver = static p => p.Complete();
    private static readonly TimerCallback TimedOut = static p => ((CommandPromise)p!).Fail(canceled: false);
    private static readonly Action<object?> Canceled = static p => ((CommandPromise)p!).Fail(canceled: true);

    private readonly TaskCompletionSource<CommandReply> _reply = new();
    private readonly IActorRefProvider _provider;
    private readonly ActorPath _path;
    private Timer? _timer;
    private CancellationTokenRegistration _cancellation;
    private CommandReply? _answer;
    private bool _canceled;

    private CommandPromise(IActorRefProvider provider, ActorPath path)
    {
        _provider = provider;
        _path = path;
    }

    public override IActorRefProvider Provider => _provider;

    /// <summary>One path shared by a manager's promises: nothing resolves or compares them, they only receive.</summary>
    public override ActorPath Path => _path;

    /// <summary>Sends <paramref name="command"/> to its call's actor (by <paramref name="routes"/>, else through <paramref name="registry"/>) with a new promise as its sender.</summary>
    /// <returns>The reply; faults with <see cref="AskTimeoutException"/> after <paramref name="timeout"/>; cancelled by <paramref name="cancellationToken"/>.</returns>
    public static Task<CommandReply> SendAsync(CallRoutes routes, IActorRef registry, ActorPath path, IPlaybackCommand command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var promise = new CommandPromise(((IInternalActorRef)registry).Provider, path);
        if (timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            promise._timer = new Timer(TimedOut, promise, timeout, Timeout.InfiniteTimeSpan);
        }

        if (cancellationToken.CanBeCanceled)
        {
            promise._cancellation = cancellationToken.UnsafeRegister(Canceled, promise);
        }

        routes.Send(command, promise, registry);
        return promise._reply.Task;
    }

    /// <summary>The reply (sent from the actor's thread): the caller continues on the thread pool.</summary>
    protected override void TellInternal(object message, IActorRef sender)
    {
        // Every reply is a CommandReply; anything else would be a bug, and fails the command rather than hang it.
        Volatile.Write(ref _answer, message as CommandReply ?? new CommandFailed(new PlaybackShutdownException($"Unexpected reply {message?.GetType().Name}.", null, null)));
        ThreadPool.UnsafeQueueUserWorkItem(Deliver, this, preferLocal: true);
    }

    private void Fail(bool canceled)
    {
        _canceled = canceled;
        ThreadPool.UnsafeQueueUserWorkItem(Deliver, this, preferLocal: false);
    }

    private void Complete()
    {
        _timer?.Dispose();
        _cancellation.Dispose();
        var answer = Volatile.Read(ref _answer);
        _ = answer is not null ? _reply.TrySetResult(answer)
            : _canceled ? _reply.TrySetCanceled()
            : _reply.TrySetException(new AskTimeoutException("No reply in time."));
    }
}
