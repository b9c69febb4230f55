using Akka.Actor;

namespace Playback;

/// <summary>
/// The sender of one message the manager sends to a call's actor and waits for (a command, or a webhook through
/// <c>HandleWebhookAsync</c>): completes the caller's task with the one reply. What Akka's <c>Ask</c> does for it,
/// without the costs a local reply does not need: no temporary actor registered (and unregistered) under a path of its
/// own, no continuation to unregister it, no extra timeout source and registrations. The caller's code never runs on
/// the actor's thread: the reply, the timeout and the cancellation complete the task on the thread pool, as Ask's does.
/// Not for a router whose replies may come from another node (Playback.Cluster keeps Ask).
/// </summary>
/// <typeparam name="TReply">The reply's type; anything else received is turned into one by the <c>unexpected</c> function.</typeparam>
internal sealed class ReplyPromise<TReply> : MinimalActorRef
    where TReply : class
{
    private static readonly Action<ReplyPromise<TReply>> Deliver = static p => p.Complete();
    private static readonly TimerCallback TimedOut = static p => ((ReplyPromise<TReply>)p!).Fail(canceled: false);
    private static readonly Action<object?> Canceled = static p => ((ReplyPromise<TReply>)p!).Fail(canceled: true);

    private readonly TaskCompletionSource<TReply> _reply = new();
    private readonly IActorRefProvider _provider;
    private readonly ActorPath _path;
    private readonly Func<object?, TReply> _unexpected;
    private Timer? _timer;
    private CancellationTokenRegistration _cancellation;
    private TReply? _answer;
    private bool _canceled;

    private ReplyPromise(IActorRefProvider provider, ActorPath path, Func<object?, TReply> unexpected)
    {
        _provider = provider;
        _path = path;
        _unexpected = unexpected;
    }

    public override IActorRefProvider Provider => _provider;

    /// <summary>One path shared by a manager's promises: nothing resolves or compares them, they only receive.</summary>
    public override ActorPath Path => _path;

    /// <summary>Sends <paramref name="message"/> to its call's actor with a new promise as its sender.</summary>
    /// <param name="routes">The way to the call's actor.</param>
    /// <param name="registry">The call registry: the way when the call's route is closed.</param>
    /// <param name="path">The path all the manager's promises share.</param>
    /// <param name="message">A command or a webhook.</param>
    /// <param name="unexpected">Turns a reply of another type (a bug) into one of <typeparamref name="TReply"/>, so the caller never hangs on it.</param>
    /// <param name="timeout">How long to wait for the reply.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The reply; faults with <see cref="AskTimeoutException"/> after <paramref name="timeout"/>; cancelled by <paramref name="cancellationToken"/>.</returns>
    public static Task<TReply> SendAsync(CallRoutes routes, IActorRef registry, ActorPath path, IWithCallId message, Func<object?, TReply> unexpected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var promise = new ReplyPromise<TReply>(((IInternalActorRef)registry).Provider, path, unexpected);
        if (timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            promise._timer = new Timer(TimedOut, promise, timeout, Timeout.InfiniteTimeSpan);
        }

        if (cancellationToken.CanBeCanceled)
        {
            promise._cancellation = cancellationToken.UnsafeRegister(Canceled, promise);
        }

        routes.Send(message, promise, registry);
        return promise._reply.Task;
    }

    /// <summary>The reply (sent from the actor's thread): the caller continues on the thread pool. The first reply is the one; a later one (there should be none) is dropped.</summary>
    protected override void TellInternal(object message, IActorRef sender)
    {
        if (Interlocked.CompareExchange(ref _answer, message as TReply ?? _unexpected(message), null) is null)
        {
            // A caller's thread running its call's actor (InlineExecutor) may block on this reply once the run ends: not on
            // its own queue then.
            ThreadPool.UnsafeQueueUserWorkItem(Deliver, this, preferLocal: !InlineExecutor.InCallersRun);
        }
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
