using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace Playback;

/// <summary>
/// The executor of Playback's own dispatcher (the call registry and the call actors). By default a woken actor runs on
/// a thread-pool work item, as with Akka's default executor. Inside a <see cref="RunWoken"/> scope, which Playback opens
/// only where it hands a message to a call's actor itself (a command or webhook from the facade, an HTTP answer's
/// continuation), the call actor that message wakes runs on this thread when the scope closes (outside any lock held
/// while telling), instead of on a thread woken for it. The mailbox still guarantees one message at a time per actor and
/// the send order; the run is bounded by the dispatcher's throughput like any other. It runs on the thread pool's default
/// execution context, not the waking thread's (its async locals, e.g. <c>Activity.Current</c>, stay out of the actor),
/// and without its synchronization context. Nothing else runs inline: Akka's scheduler, dead letters, the registry,
/// persistence callbacks, a thread that is not a thread-pool thread or runs a task on another task scheduler.
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

    // Inside a run of this dispatcher's actors (inline or queued) on this thread.
    [ThreadStatic]
    private static int t_depth;

    // A RunWoken scope is open on this thread; the call actor it woke; whether the scope is a caller's.
    [ThreadStatic]
    private static bool t_open;

    [ThreadStatic]
    private static IRunnable? t_woken;

    [ThreadStatic]
    private static bool t_callers;

    // The inline run in progress on this thread is a caller's (see InCallersRun).
    [ThreadStatic]
    private static bool t_callersRun;

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
    /// Opens a scope in which the first call actor this thread wakes runs on this thread when the scope closes (not from
    /// inside one of this dispatcher's runs, see <see cref="Execute"/>); a no-op scope inside another scope, on a thread
    /// that is not a thread-pool thread, or
    /// under a task scheduler other than the default (e.g. Akka's <c>ReceiveAsync</c>). Synchronous code only: the scope
    /// must close on the thread that opened it, with no <c>await</c> inside.
    /// </summary>
    /// <param name="caller">The thread is a caller's, which may block on the reply: the reply then goes to the thread pool's global queue, not this thread's own.</param>
    public static WokenScope RunWoken(bool caller)
    {
        if (t_open || !Thread.CurrentThread.IsThreadPoolThread || TaskScheduler.Current != TaskScheduler.Default)
        {
            return default;
        }

        t_open = true;
        t_callers = caller;
        return new WokenScope(Environment.CurrentManagedThreadId);
    }

    /// <summary>Whether this thread runs a call actor inline for a caller (who may block on the reply once the run ends).</summary>
    public static bool InCallersRun => t_callersRun && t_depth > 0;

    public override void Execute(IRunnable run)
    {
        if (t_open && t_woken is null && t_depth == 0 && run is Mailbox { MessageQueue: CallMailbox.CallMessageQueue })
        {
            t_woken = run;
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(RunQueued, run, preferLocal: true);
        }
    }

    public override void Shutdown()
    {
    }

    private static void RunHere(IRunnable run, bool callers)
    {
        var context = SynchronizationContext.Current;
        t_depth++;
        t_callersRun = callers;
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
            t_callersRun = false;
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

    /// <summary>See <see cref="RunWoken"/>.</summary>
    public readonly struct WokenScope(int thread) : IDisposable
    {
        public void Dispose()
        {
            if (thread == 0)
            {
                return;
            }

            System.Diagnostics.Debug.Assert(thread == Environment.CurrentManagedThreadId, "a RunWoken scope closes on the thread that opened it");
            var (run, callers) = (t_woken, t_callers);
            (t_open, t_woken, t_callers) = (false, null, false);
            if (run is not null)
            {
                RunHere(run, callers);
            }
        }
    }

    /// <summary>Akka's factory for the executor (named in the dispatcher's config).</summary>
    public sealed class Configurator(Config config, IDispatcherPrerequisites prerequisites) : ExecutorServiceConfigurator(config, prerequisites)
    {
        public override ExecutorService Produce(string id) => new InlineExecutor(id);
    }
}
