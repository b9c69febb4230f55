using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace Playback;

/// <summary>
/// The executor of Playback's own dispatcher (the call registry and the call actors): an actor woken by a thread that is
/// not already running one of these actors (the caller of a command, the continuation of an HTTP answer, Kestrel's
/// webhook request) runs its mailbox on that thread at once, instead of on a thread-pool work item that another thread
/// must wake for; from inside one of these actors, the woken one goes to the thread pool as with Akka's default executor.
/// The mailbox still guarantees one message at a time per actor and the send order; the run is bounded by the
/// dispatcher's throughput like any other. It runs on the thread-pool's default execution context, not the waking
/// thread's (its async locals, e.g. <c>Activity.Current</c>, stay out of the actor, as with the thread pool), and
/// without its synchronization context.
/// </summary>
internal sealed class InlineExecutor : ExecutorService
{
    /// <summary>The dispatcher's id, registered on a system by <see cref="Register"/>.</summary>
    public const string DispatcherId = "playback-dispatcher";

    private static readonly ExecutionContext Clean = CaptureClean();
    private static readonly ContextCallback RunCallback = static state => ((IRunnable)state!).Run();
    private static readonly Action<IRunnable> RunQueued = static run =>
    {
        t_depth++;
        try
        {
            run.Run();
        }
        finally
        {
            t_depth--;
        }
    };

    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static IRunnable? t_deferred;

    [ThreadStatic]
    private static bool t_deferring;

    public InlineExecutor(string id)
        : base(id)
    {
    }

    /// <summary>Registers the dispatcher on <paramref name="system"/> (once; later calls find it there).</summary>
    public static void Register(ActorSystem system)
    {
        var dispatchers = system.Dispatchers;
        if (dispatchers.HasDispatcher(DispatcherId))
        {
            return;
        }

        var config = ConfigurationFactory.ParseString($"id = {DispatcherId}\ntype = Dispatcher\nexecutor = \"{typeof(Configurator).AssemblyQualifiedName}\"")
            .WithFallback(dispatchers.DefaultDispatcherConfig);
        dispatchers.RegisterConfigurator(DispatcherId, new DispatcherConfigurator(config, dispatchers.Prerequisites));
    }

    /// <summary>
    /// While the returned scope is open, an actor this thread wakes runs when the scope closes rather than at once (e.g.
    /// a message told under a lock: the actor must not run under it). One is kept; any other goes to the thread pool.
    /// </summary>
    public static DeferScope Defer()
    {
        if (t_deferring || t_depth > 0 || !Thread.CurrentThread.IsThreadPoolThread)
        {
            return default;
        }

        t_deferring = true;
        return new DeferScope(true);
    }

    public override void Execute(IRunnable run)
    {
        if (t_depth > 0 || !Thread.CurrentThread.IsThreadPoolThread)
        {
            ThreadPool.UnsafeQueueUserWorkItem(RunQueued, run, preferLocal: true);
        }
        else if (t_deferring)
        {
            if (t_deferred is null)
            {
                t_deferred = run;
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(RunQueued, run, preferLocal: true);
            }
        }
        else
        {
            RunHere(run);
        }
    }

    public override void Shutdown()
    {
    }

    private static void RunHere(IRunnable run)
    {
        var context = SynchronizationContext.Current;
        t_depth++;
        try
        {
            if (context is not null)
            {
                SynchronizationContext.SetSynchronizationContext(null);
            }

            ExecutionContext.Run(Clean, RunCallback, run);
        }
        finally
        {
            t_depth--;
            if (context is not null)
            {
                SynchronizationContext.SetSynchronizationContext(context);
            }
        }
    }

    private static ExecutionContext CaptureClean()
    {
        ExecutionContext? clean = null;
        var thread = new Thread(() => clean = ExecutionContext.Capture());
        thread.UnsafeStart();
        thread.Join();
        return clean!;
    }

    /// <summary>See <see cref="Defer"/>.</summary>
    public readonly struct DeferScope(bool owns) : IDisposable
    {
        public void Dispose()
        {
            if (!owns)
            {
                return;
            }

            t_deferring = false;
            if (t_deferred is { } run)
            {
                t_deferred = null;
                RunHere(run);
            }
        }
    }

    /// <summary>Akka's factory for the executor (named in the dispatcher's config).</summary>
    public sealed class Configurator(Config config, IDispatcherPrerequisites prerequisites) : ExecutorServiceConfigurator(config, prerequisites)
    {
        public override ExecutorService Produce(string id) => new InlineExecutor(id);
    }
}
