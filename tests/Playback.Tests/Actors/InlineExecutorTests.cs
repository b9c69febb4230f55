using Akka.Actor;
using Xunit;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// Playback's dispatcher: inside a <c>RunWoken</c> scope (a command or webhook from the facade, an HTTP answer's
/// continuation) on a thread-pool thread that runs none of its actors, the call actor a tell wakes runs on that thread
/// when the scope closes; everything else goes to the thread pool: no scope (Akka's scheduler, dead letters), a
/// dedicated thread, a run of its own actors, another task scheduler, an actor without the call mailbox. The run never
/// sees the waking thread's async locals or synchronization context.
/// </summary>
public sealed class InlineExecutorTests : PlaybackSpec
{
    private static readonly AsyncLocal<string?> CallerLocal = new();

    public InlineExecutorTests(ITestOutputHelper output)
        : base(output)
    {
        Sys.Settings.InjectTopLevelFallback(PlaybackConfig.Reference);
        InlineExecutor.Register(Sys);
    }

    [Fact]
    public async Task In_a_scope_on_a_thread_pool_thread_the_woken_call_actor_runs_on_that_thread_when_the_scope_closes()
    {
        var probe = Start(callMailbox: true);

        var (thread, ranInScope, ranAtClose) = await Task.Run(() =>
        {
            bool inScope;
            using (InlineExecutor.RunWoken(caller: true))
            {
                probe.Actor.Tell("go");
                inScope = probe.Done.IsSet;
            }

            return (Environment.CurrentManagedThreadId, inScope, probe.Done.IsSet);
        });

        Assert.False(ranInScope);
        Assert.True(ranAtClose);
        Assert.Equal(thread, probe.Thread);
    }

    [Fact]
    public async Task Without_a_scope_the_woken_actor_runs_on_another_thread()
    {
        var probe = Start(callMailbox: true);

        var thread = await Task.Run(() =>
        {
            probe.Actor.Tell("go");
            Assert.True(probe.Done.Wait(TimeSpan.FromSeconds(10)));
            return Environment.CurrentManagedThreadId;
        });

        Assert.NotEqual(thread, probe.Thread);
    }

    [Fact]
    public void A_scope_on_a_thread_that_is_not_a_thread_pool_thread_wakes_the_actor_on_the_pool()
    {
        var probe = Start(callMailbox: true);
        var waker = new Thread(() =>
        {
            using (InlineExecutor.RunWoken(caller: true))
            {
                probe.Actor.Tell("go");
            }

            probe.Done.Wait(TimeSpan.FromSeconds(10));
        });
        waker.Start();
        waker.Join();

        Assert.True(probe.Done.IsSet);
        Assert.NotEqual(waker.ManagedThreadId, probe.Thread);
    }

    [Fact]
    public async Task A_scope_under_another_task_scheduler_wakes_the_actor_on_the_pool()
    {
        var probe = Start(callMailbox: true);
        var exclusive = new ConcurrentExclusiveSchedulerPair();

        var thread = await Task.Factory.StartNew(
            () =>
            {
                using (InlineExecutor.RunWoken(caller: true))
                {
                    probe.Actor.Tell("go");
                }

                probe.Done.Wait(TimeSpan.FromSeconds(10));
                return Environment.CurrentManagedThreadId;
            },
            CancellationToken.None,
            TaskCreationOptions.None,
            exclusive.ExclusiveScheduler);

        Assert.True(probe.Done.IsSet);
        Assert.NotEqual(thread, probe.Thread);
    }

    [Fact]
    public async Task An_actor_without_the_call_mailbox_is_not_run_inline()
    {
        var probe = Start(callMailbox: false);

        var thread = await Task.Run(() =>
        {
            using (InlineExecutor.RunWoken(caller: true))
            {
                probe.Actor.Tell("go");
            }

            probe.Done.Wait(TimeSpan.FromSeconds(10));
            return Environment.CurrentManagedThreadId;
        });

        Assert.True(probe.Done.IsSet);
        Assert.NotEqual(thread, probe.Thread);
    }

    [Fact]
    public async Task A_scope_inside_a_run_of_the_dispatcher_wakes_the_next_actor_on_the_pool()
    {
        var inner = Start(callMailbox: true);
        var outer = Start(callMailbox: true, onMessage: () =>
        {
            using (InlineExecutor.RunWoken(caller: true))
            {
                inner.Actor.Tell("go");
            }

            inner.Done.Wait(TimeSpan.FromSeconds(10)); // only another thread can run it now
        });

        await Task.Run(() =>
        {
            using (InlineExecutor.RunWoken(caller: true))
            {
                outer.Actor.Tell("go");
            }
        });

        Assert.True(inner.Done.IsSet);
        Assert.NotEqual(outer.Thread, inner.Thread);
    }

    [Fact]
    public async Task A_run_sees_neither_the_waking_threads_async_locals_nor_its_synchronization_context_and_both_are_back_after()
    {
        var probe = Start(callMailbox: true);
        var context = new SynchronizationContext();

        var (ran, localAfter, contextAfter) = await Task.Run(() =>
        {
            CallerLocal.Value = "caller";
            SynchronizationContext.SetSynchronizationContext(context);
            try
            {
                using (InlineExecutor.RunWoken(caller: true))
                {
                    probe.Actor.Tell("go");
                }

                return (probe.Done.IsSet, CallerLocal.Value, SynchronizationContext.Current);
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(null);
            }
        });

        Assert.True(ran);
        Assert.Null(probe.Local);
        Assert.Null(probe.Context);
        Assert.Equal("caller", localAfter);
        Assert.Same(context, contextAfter);
    }

    private Probe Start(bool callMailbox, Action? onMessage = null)
    {
        var probe = new Probe();
        var props = Props.Create(() => new ProbeActor(probe, onMessage)).WithDispatcher(InlineExecutor.DispatcherId);
        probe.Actor = Sys.ActorOf(callMailbox ? props.WithMailbox(PlaybackActor.MailboxId) : props);
        probe.Actor.Tell(new Identify(null), TestActor); // started, idle: the next tell wakes it
        ExpectMsg<ActorIdentity>();
        return probe;
    }

    private sealed class Probe
    {
        public IActorRef Actor { get; set; } = ActorRefs.Nobody;

        public ManualResetEventSlim Done { get; } = new();

        public int Thread { get; set; }

        public string? Local { get; set; }

        public SynchronizationContext? Context { get; set; }
    }

    private sealed class ProbeActor(Probe probe, Action? onMessage) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            (probe.Thread, probe.Local, probe.Context) = (Environment.CurrentManagedThreadId, CallerLocal.Value, SynchronizationContext.Current);
            onMessage?.Invoke();
            probe.Done.Set();
        }
    }

    [Fact]
    public async Task A_command_to_a_running_call_reaches_the_api_on_the_callers_thread_before_the_call_returns_without_its_async_locals()
    {
        var (callerThread, apiThread, local) = await ApiThreadOfASecondCommandAsync(CreateManager(), Api, setLocal: true);

        Assert.Equal(callerThread, apiThread);
        Assert.Null(local);
    }

    [Fact]
    public async Task The_answer_to_a_request_runs_the_call_actor_where_it_arrives_which_sends_the_next_queued_request_there()
    {
        var held = new TaskCompletionSource();
        var pauseThread = 0;
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-1", Hello));
        Api.Respond = r =>
        {
            if (r.Command == CallingApi.Commands.Volume)
            {
                return held.Task;
            }

            pauseThread = Environment.CurrentManagedThreadId;
            return Task.CompletedTask;
        };
        var volume = manager.SetVolumeAsync("call-1", handle.ControlId, 3);
        var pause = manager.PauseAsync("call-1", handle.ControlId); // told before it returns; waits behind the volume change in the call's actor
        Assert.Equal(0, pauseThread);

        var answering = await Task.Run(() =>
        {
            held.SetResult();
            return Environment.CurrentManagedThreadId;
        });
        await Within10s(Task.WhenAll(volume, pause));

        Assert.Equal(answering, pauseThread);
    }

    /// <summary>
    /// Plays on call-1, then sends a volume command from a thread-pool thread that blocks right after the call until the
    /// API has it: returns the caller's thread, the API's, and the caller's async local as the API saw it.
    /// </summary>
    internal static async Task<(int Caller, int Api, string? Local)> ApiThreadOfASecondCommandAsync(PlaybackManager created, FakeCallingApi api, bool setLocal)
    {
        await using var manager = created;
        using var reached = new ManualResetEventSlim();
        var seen = (Thread: 0, Local: (string?)null);
        var handle = await Within10s(manager.PlayAsync("call-1", Hello));
        api.Respond = r =>
        {
            if (r.Command == CallingApi.Commands.Volume)
            {
                seen = (Environment.CurrentManagedThreadId, CallerLocal.Value);
                reached.Set();
            }

            return Task.CompletedTask;
        };

        var caller = await Task.Run(async () =>
        {
            await Task.Yield();
            var thread = Environment.CurrentManagedThreadId;
            CallerLocal.Value = setLocal ? "caller" : null;
            var volume = manager.SetVolumeAsync("call-1", handle.ControlId, 3);
            Assert.True(reached.Wait(TimeSpan.FromSeconds(10)), "the volume command never reached the API");
            await Within10s(volume);
            return thread;
        });

        return (caller, seen.Thread, seen.Local);
    }
}

/// <summary>A system whose config defines <c>playback-dispatcher</c> keeps it: here Akka's thread-pool executor, the opt-out.</summary>
public sealed class InlineExecutorOptOutTests(ITestOutputHelper output)
    : PlaybackSpec(output, "akka.loglevel = WARNING\nplayback-dispatcher { type = Dispatcher, executor = default-executor }")
{
    [Fact]
    public async Task With_the_dispatcher_configured_as_akkas_thread_pool_a_command_reaches_the_api_on_another_thread()
    {
        var (callerThread, apiThread, _) = await InlineExecutorTests.ApiThreadOfASecondCommandAsync(CreateManager(), Api, setLocal: false);

        Assert.NotEqual(callerThread, apiThread);
    }
}
