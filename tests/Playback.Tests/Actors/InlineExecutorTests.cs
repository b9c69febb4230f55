using Akka.Actor;
using Xunit;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// Playback's dispatcher: inside a <c>RunWoken</c> scope on a thread-pool thread outside any actor's run, the call actor
/// a tell wakes runs on that thread when the scope closes; everything else goes to the thread pool: no scope (Akka's
/// scheduler, dead letters), a dedicated thread, an actor's run, another task scheduler, an actor without the call
/// mailbox, a caller's scopes back to back. The run never sees the waking thread's async locals or synchronization context.
/// </summary>
public sealed class InlineExecutorTests : PlaybackSpec
{
    internal static readonly AsyncLocal<string?> CallerLocal = new();

    public InlineExecutorTests(ITestOutputHelper output)
        : base(output)
    {
        Sys.Settings.InjectTopLevelFallback(PlaybackConfig.Reference);
        InlineExecutor.Register(Sys);
    }

    [Fact]
    public async Task In_a_scope_on_a_thread_pool_thread_the_woken_call_actor_runs_on_that_thread_when_the_scope_closes()
    {
        var probe = await StartAsync(callMailbox: true);

        Assert.NotNull(await RunInlineAsync(probe, () => { }));
    }

    [Fact]
    public async Task A_run_sees_neither_the_waking_threads_async_locals_nor_its_synchronization_context_and_both_are_back_after()
    {
        var probe = await StartAsync(callMailbox: true);
        var context = new SynchronizationContext();
        (string? Local, SynchronizationContext? Context) after = default;

        var seen = await RunInlineAsync(probe, () =>
        {
            CallerLocal.Value = "caller";
            SynchronizationContext.SetSynchronizationContext(context);
        }, () =>
        {
            after = (CallerLocal.Value, SynchronizationContext.Current);
            SynchronizationContext.SetSynchronizationContext(null);
        });

        Assert.NotNull(seen);
        Assert.Null(seen.Value.Local);
        Assert.Null(seen.Value.Context);
        Assert.Equal("caller", after.Local);
        Assert.Same(context, after.Context);
    }

    [Fact]
    public async Task Without_a_scope_the_woken_actor_runs_on_another_thread()
    {
        var probe = await StartAsync(callMailbox: true);

        var thread = await Task.Run(() =>
        {
            probe.Actor.Tell("go");
            return WaitForRun(probe);
        });

        Assert.NotEqual(thread, probe.Thread);
    }

    [Fact]
    public async Task A_scope_on_a_thread_that_is_not_a_thread_pool_thread_wakes_the_actor_on_the_pool()
    {
        var probe = await StartAsync(callMailbox: true);
        var waker = new Thread(() => WakeInScope(probe, caller: false));
        waker.Start();
        waker.Join();

        Assert.True(probe.Done.IsSet);
        Assert.NotEqual(waker.ManagedThreadId, probe.Thread);
    }

    [Fact]
    public async Task A_scope_under_another_task_scheduler_wakes_the_actor_on_the_pool()
    {
        var probe = await StartAsync(callMailbox: true);
        var exclusive = new ConcurrentExclusiveSchedulerPair();

        var thread = await Task.Factory.StartNew(() => WakeInScope(probe, caller: false), CancellationToken.None, TaskCreationOptions.None, exclusive.ExclusiveScheduler);

        Assert.NotEqual(thread, probe.Thread);
    }

    [Fact]
    public async Task An_actor_without_the_call_mailbox_is_not_run_inline()
    {
        var probe = await StartAsync(callMailbox: false);

        var thread = await Task.Run(() => WakeInScope(probe, caller: false));

        Assert.NotEqual(thread, probe.Thread);
    }

    [Fact]
    public async Task A_scope_inside_an_actors_run_wakes_the_next_actor_on_the_pool()
    {
        var inner = await StartAsync(callMailbox: true);
        var outer = await StartAsync(callMailbox: true, onMessage: () => WakeInScope(inner, caller: false));

        await Task.Run(() => WakeInScope(outer, caller: false));

        Assert.NotEqual(outer.Thread, inner.Thread);
    }

    [Fact]
    public async Task A_callers_scopes_back_to_back_run_the_first_woken_actor_inline_and_spread_the_rest_over_the_pool()
    {
        var probes = new List<Probe>();
        for (var i = 0; i < 10; i++)
        {
            probes.Add(await StartAsync(callMailbox: true));
        }

        await Task.Delay(50); // every probe's mailbox idle again after its start
        var (thread, inlineAtClose) = await Task.Run(() =>
        {
            var inline = 0;
            foreach (var probe in probes)
            {
                using (InlineExecutor.RunWoken(caller: true))
                {
                    probe.Actor.Tell("go");
                }

                inline += probe.Done.IsSet && probe.Thread == Environment.CurrentManagedThreadId ? 1 : 0;
            }

            return (Environment.CurrentManagedThreadId, inline);
        });

        foreach (var probe in probes)
        {
            Assert.True(probe.Done.Wait(TimeSpan.FromSeconds(10)));
        }

        Assert.Equal(thread, probes[0].Thread);
        Assert.InRange(inlineAtClose, 1, 5);
    }

    /// <summary>
    /// Wakes <paramref name="probe"/> in a scope on a thread-pool thread until its run happens there at the scope's close (a
    /// woken actor whose last run had not yet gone idle runs on the pool: tried again); the run's observations, or null
    /// when it never ran inline.
    /// </summary>
    private static async Task<(string? Local, SynchronizationContext? Context)?> RunInlineAsync(Probe probe, Action before, Action? after = null)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            probe.Reset();
            var inline = await Task.Run(() =>
            {
                before();
                try
                {
                    using (InlineExecutor.RunWoken(caller: false))
                    {
                        probe.Actor.Tell("go");
                        Assert.False(probe.Done.IsSet, "the actor ran before the scope closed");
                    }

                    return probe.Done.IsSet && probe.Thread == Environment.CurrentManagedThreadId;
                }
                finally
                {
                    after?.Invoke();
                }
            });
            if (inline)
            {
                return (probe.Local, probe.Context);
            }

            Assert.True(probe.Done.Wait(TimeSpan.FromSeconds(10)));
            await Task.Delay(20);
        }

        return null;
    }

    /// <summary>Wakes <paramref name="probe"/> in a scope, then waits (blocking this thread) until it ran; returns this thread.</summary>
    private static int WakeInScope(Probe probe, bool caller)
    {
        using (InlineExecutor.RunWoken(caller))
        {
            probe.Actor.Tell("go");
        }

        return WaitForRun(probe);
    }

    private static int WaitForRun(Probe probe)
    {
        Assert.True(probe.Done.Wait(TimeSpan.FromSeconds(10)), "the actor never ran");
        return Environment.CurrentManagedThreadId;
    }

    private async Task<Probe> StartAsync(bool callMailbox, Action? onMessage = null)
    {
        var probe = new Probe();
        var props = Props.Create(() => new ProbeActor(probe, onMessage)).WithDispatcher(InlineExecutor.DispatcherId);
        probe.Actor = Sys.ActorOf(callMailbox ? props.WithMailbox(PlaybackActor.MailboxId) : props);
        await probe.Actor.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10)); // started
        return probe;
    }

    private sealed class Probe
    {
        public IActorRef Actor { get; set; } = ActorRefs.Nobody;

        public ManualResetEventSlim Done { get; } = new();

        public int Thread { get; set; }

        public string? Local { get; set; }

        public SynchronizationContext? Context { get; set; }

        public void Reset()
        {
            Done.Reset();
            Thread = 0;
        }
    }

    private sealed class ProbeActor(Probe probe, Action? onMessage) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is not string)
            {
                return;
            }

            (probe.Thread, probe.Local, probe.Context) = (Environment.CurrentManagedThreadId, CallerLocal.Value, SynchronizationContext.Current);
            onMessage?.Invoke();
            probe.Done.Set();
        }
    }
}
