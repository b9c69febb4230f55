using System.Collections.Concurrent;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// Invariant 7 of issue 12: <c>handle.States</c> delivers the terminal state to its subscribers before
/// <c>handle.Completion</c> completes, without a slow or throwing subscriber holding up the actor or the others.
/// </summary>
public sealed class CompletionOrderTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    /// <summary>Long enough for a completion that does not wait for subscribers to show (it completes within microseconds of the event).</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Completion_waits_until_a_subscriber_that_blocks_on_the_terminal_state_has_received_it()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-o1", Hello));
        var order = new ConcurrentQueue<string>();
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim(false);
        using var slow = handle.States.Subscribe(state =>
        {
            if (state.IsTerminal())
            {
                entered.Release();
                release.Wait(TimeSpan.FromSeconds(30));
                order.Enqueue("subscriber: " + state);
            }
        });
        var completed = handle.Completion.ContinueWith(t => order.Enqueue("completion: " + t.Result.State), TaskScheduler.Default);

        await Within10s(handle.StopAsync());
        Assert.True(await entered.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.NotSame(handle.Completion, await Task.WhenAny(handle.Completion, Task.Delay(Grace)));
        release.Set();
        await Within10s(completed);
        Assert.Equal(["subscriber: Stopped", "completion: Stopped"], order);
    }

    [Fact]
    public async Task A_slow_subscriber_delays_only_the_completion_not_the_actor_or_other_subscribers()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-o2", Hello));
        using var release = new ManualResetEventSlim(false);
        var slowSaw = new ConcurrentQueue<PlaybackState>();
        using var slow = handle.States.Subscribe(state =>
        {
            if (state.IsTerminal())
            {
                release.Wait(TimeSpan.FromSeconds(30));
            }

            slowSaw.Enqueue(state);
        });
        var fastDone = new TaskCompletionSource<PlaybackState>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var fast = handle.States.Subscribe(state =>
        {
            if (state.IsTerminal())
            {
                fastDone.TrySetResult(state);
            }
        });
        using var thrower = handle.States.Subscribe(state =>
        {
            if (state.IsTerminal())
            {
                throw new InvalidOperationException("subscriber bug");
            }
        });

        await Within10s(handle.StopAsync());
        Assert.Equal(PlaybackState.Stopped, await Within10s(fastDone.Task));
        var other = await Within10s(manager.PlayAsync("call-o2b", Hello)); // the actors still answer

        Assert.False(handle.Completion.IsCompleted);
        Assert.DoesNotContain(PlaybackState.Stopped, slowSaw);
        release.Set();
        Assert.Equal(PlaybackState.Stopped, (await Within10s(handle.Completion)).State);
        Assert.Contains(PlaybackState.Stopped, slowSaw);
        Assert.Equal(PlaybackState.Playing, other.Current);
    }

    [Fact]
    public async Task A_subscriber_that_unsubscribed_before_the_end_does_not_hold_the_completion()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-o3", Hello));
        var gone = handle.States.Subscribe(_ => { });
        gone.Dispose();

        await Within10s(handle.StopAsync());

        Assert.Equal(PlaybackState.Stopped, (await Within10s(handle.Completion)).State);
    }

    [Fact]
    public async Task On_shutdown_completion_faults_after_a_slow_subscriber_has_received_the_error()
    {
        var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-o4", Hello));
        var order = new ConcurrentQueue<string>();
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim(false);
        using var slow = handle.States.Subscribe(
            _ => { },
            error =>
            {
                entered.Release();
                release.Wait(TimeSpan.FromSeconds(30));
                order.Enqueue("subscriber: " + error.GetType().Name);
            });
        var faulted = handle.Completion.ContinueWith(t => order.Enqueue("completion: " + t.Exception!.InnerException!.GetType().Name), TaskScheduler.Default);

        await manager.DisposeAsync();
        Assert.True(await entered.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.NotSame(handle.Completion, await Task.WhenAny(handle.Completion, Task.Delay(Grace)));
        release.Set();
        await Within10s(faulted);
        Assert.Equal(["subscriber: PlaybackShutdownException", "completion: PlaybackShutdownException"], order);
    }
}
