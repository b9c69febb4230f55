using System.Diagnostics;
using Akka.Actor;
using Akka.Actor.Internal;
using Akka.Configuration;
using Akka.Dispatch;

namespace Playback;

/// <summary>
/// The executor of Playback's own dispatcher (the call registry and the call actors). By default a woken actor runs on
/// a thread-pool work item, as with Akka's default executor. Inside a <see cref="RunWoken"/> scope, which Playback opens
/// only where it hands a message to a call's actor itself (a command or an awaited webhook from the facade, the answer of
/// Playback's own HTTP client), the call actor that message wakes runs on this thread when the scope closes (outside any
/// lock held while telling), instead of on a thread woken for it. The mailbox still guarantees one message at a time per
/// actor and the send order; the run is bounded by the dispatcher's throughput like any other. It runs on the thread
/// pool's default execution context, not the waking thread's (its async locals, e.g. <c>Activity.Current</c>, stay out of
/// the actor), and without its synchronization context. Nothing else runs inline: Akka's scheduler, dead letters, the
/// registry, persistence callbacks, anything inside the run of one of its actors, a thread that is not a thread-pool
/// thread or runs a task on another task scheduler, and a caller's commands issued back to back (see <see cref="BurstGap"/>).
/// </summary>
internal sealed class InlineExecutor : ExecutorService
{
    /// <summary>The dispatcher's id, registered on a system by <see cref="Register"/>.</summary>
    public const string DispatcherId = "playback-dispatcher";

    private static readonly ExecutionContext Clean = CaptureClean();
    private static readonly ContextCallback RunCallback = static state => ((IRunnable)state!).Run();

    /// <summary>
    /// A caller's thread that opens another scope within this long of the end of its last inline run issues commands
    /// back to back (a loop over many calls): the rest go to the thread pool, spread over its threads, not one after
    /// another on this one.
    /// </summary>
    private static readonly long BurstGap = Stopwatch.Frequency / 50_000; // 20 µs

    [ThreadStatic]
    private static long t_lastCallersRunEnd;

    // A RunWoken scope is open on this thread; the call actor it woke.
    [ThreadStatic]
    private static bool t_open;

    [ThreadStatic]
    private static IRunnable? t_woken;

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
    /// Opens a scope in which the first call actor this thread wakes runs on this thread when the scope closes; a no-op
    /// scope inside another scope or a run of this dispatcher's actors, on a thread that is not a thread-pool thread, under
    /// a task scheduler other than the default (e.g. Akka's <c>ReceiveAsync</c>), or for a caller within
    /// <see cref="BurstGap"/> of its last inline run. Synchronous code only: the scope must close on the thread that opened it, with no <c>await</c> inside.
    /// </summary>
    /// <param name="caller">The thread is a caller's, which may block on the reply: the reply then goes to the thread pool's global queue, not this thread's own.</param>
    public static WokenScope RunWoken(bool caller)
    {
        if (t_open || InsideAnActor || !Thread.CurrentThread.IsThreadPoolThread || TaskScheduler.Current != TaskScheduler.Default
            || (caller && Stopwatch.GetTimestamp() - t_lastCallersRunEnd < BurstGap))
        {
            return default;
        }

        t_open = true;
        return new WokenScope(Environment.CurrentManagedThreadId, caller);
    }

    /// <summary>Whether this thread runs a call actor inline for a caller (who may block on the reply once the run ends).</summary>
    public static bool InCallersRun => t_callersRun;

    public override void Execute(IRunnable run)
    {
        if (t_open && t_woken is null && run is Mailbox { MessageQueue: CallMailbox.CallMessageQueue })
        {
            t_woken = run;
        }
        else
        {
            // The mailbox is its own work item (as with Akka's default executor); not on the queue of a caller's thread, which may block.
            ThreadPool.UnsafeQueueUserWorkItem(run, preferLocal: !InCallersRun);
        }
    }

    /// <summary>
    /// Whether this thread is inside the run of one of this dispatcher's actors (Akka marks the actor it runs; a mark left
    /// behind by Akka.TestKit on the thread that built a test, or another dispatcher's actor calling Playback, is not one).
    /// </summary>
    private static bool InsideAnActor => InternalCurrentActorCellKeeper.Current is { } cell && cell.Dispatcher.Id == DispatcherId;

    public override void Shutdown()
    {
    }

    private static void RunHere(IRunnable run, bool callers)
    {
        var context = SynchronizationContext.Current;
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
            t_callersRun = false;
            if (callers)
            {
                t_lastCallersRunEnd = Stopwatch.GetTimestamp();
            }

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
    public readonly struct WokenScope(int thread, bool callers) : IDisposable
    {
        public void Dispose()
        {
            if (thread == 0)
            {
                return;
            }

            Debug.Assert(thread == Environment.CurrentManagedThreadId, "a RunWoken scope closes on the thread that opened it");
            var run = t_woken;
            (t_open, t_woken) = (false, null);
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
