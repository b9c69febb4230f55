using Akka.Dispatch;
using Xunit;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// Playback's dispatcher: an actor woken from a thread-pool thread that runs none of its actors runs there at once (no
/// thread woken for it); from one of its actors, from a dedicated thread (Akka's scheduler, a UI thread) or under a
/// lock it goes to the thread pool; it never sees the waking thread's async locals or synchronization context.
/// </summary>
public sealed class InlineExecutorTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    private static readonly AsyncLocal<string?> CallerLocal = new();

    private readonly InlineExecutor _executor = new("test");

    [Fact]
    public async Task A_run_woken_from_a_thread_pool_thread_runs_there_before_execute_returns()
    {
        var (thread, ranBefore) = await Task.Run(() =>
        {
            var run = new Probe();
            _executor.Execute(run);
            return (run.Thread, run.Ran.Task.IsCompleted);
        });

        Assert.True(ranBefore);
        Assert.NotNull(thread);
    }

    [Fact]
    public async Task A_run_woken_from_a_dedicated_thread_goes_to_the_thread_pool()
    {
        var run = new Probe();
        var waker = new Thread(() => _executor.Execute(run));
        waker.Start();
        waker.Join();

        await run.Ran.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(waker.ManagedThreadId, run.Thread!.ManagedThreadId);
        Assert.True(run.OnPool);
    }

    [Fact]
    public async Task A_run_woken_from_inside_a_run_goes_to_the_thread_pool_not_into_it()
    {
        Thread? runningOuter = null;
        var nested = true;
        var inner = new Probe(() => nested = Volatile.Read(ref runningOuter) == Thread.CurrentThread);
        var outer = new Probe(() =>
        {
            Volatile.Write(ref runningOuter, Thread.CurrentThread);
            _executor.Execute(inner);
            Volatile.Write(ref runningOuter, null);
        });

        await Task.Run(() => _executor.Execute(outer));

        await inner.Ran.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(outer.Ran.Task.IsCompleted);
        Assert.False(nested, "the inner run ran inside the outer one");
        Assert.True(inner.OnPool);
    }

    [Fact]
    public async Task Under_a_defer_scope_the_first_run_waits_for_the_scope_to_close_and_any_other_goes_to_the_pool()
    {
        var first = new Probe();
        var second = new Probe();
        var (firstBefore, firstAfter, thread, scopeThread) = await Task.Run(() =>
        {
            bool before;
            using (InlineExecutor.Defer())
            {
                _executor.Execute(first);
                _executor.Execute(second);
                before = first.Ran.Task.IsCompleted;
            }

            return (before, first.Ran.Task.IsCompleted, first.Thread, Environment.CurrentManagedThreadId);
        });

        Assert.False(firstBefore);
        Assert.True(firstAfter);
        Assert.Equal(scopeThread, thread!.ManagedThreadId);
        await second.Ran.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_run_sees_neither_the_waking_threads_async_locals_nor_its_synchronization_context_and_both_are_back_after()
    {
        var run = new Probe(() => { });
        var context = new SynchronizationContext();
        var (localAfter, contextAfter) = await Task.Run(() =>
        {
            CallerLocal.Value = "caller";
            SynchronizationContext.SetSynchronizationContext(context);
            try
            {
                _executor.Execute(run);
                return (CallerLocal.Value, SynchronizationContext.Current);
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(null);
            }
        });

        Assert.True(run.Ran.Task.IsCompleted);
        Assert.Null(run.LocalSeen);
        Assert.Null(run.ContextSeen);
        Assert.Equal("caller", localAfter);
        Assert.Same(context, contextAfter);
    }

    [Fact]
    public async Task A_command_to_a_running_call_reaches_the_api_on_the_callers_thread_before_the_call_returns_without_its_async_locals()
    {
        var (callerThread, apiThread, local) = await ApiThreadOfASecondCommandAsync(CreateManager(), Api, setLocal: true);

        Assert.Equal(callerThread, apiThread);
        Assert.Null(local);
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

    private sealed class Probe(Action? body = null) : IRunnable
    {
        public TaskCompletionSource Ran { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Thread? Thread { get; private set; }

        public bool OnPool { get; private set; }

        public string? LocalSeen { get; private set; }

        public SynchronizationContext? ContextSeen { get; private set; }

        public void Run()
        {
            Thread = Thread.CurrentThread;
            OnPool = Thread.IsThreadPoolThread;
            LocalSeen = CallerLocal.Value;
            ContextSeen = SynchronizationContext.Current;
            body?.Invoke();
            Ran.SetResult();
        }

        public void Execute() => Run();
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
