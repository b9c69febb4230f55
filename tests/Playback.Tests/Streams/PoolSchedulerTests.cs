using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Xunit;

namespace Playback.Tests;

/// <summary>The default scheduler of subscriber deliveries: order through ObserveOn, cancellation, errors, delays.</summary>
public sealed class PoolSchedulerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_ObserveOn_subscriber_gets_every_value_in_order_on_pool_threads()
    {
        var scheduler = new PoolScheduler(e => Assert.Fail(e.ToString()));
        using var source = new Subject<int>();
        var seen = new List<int>();
        var done = new TaskCompletionSource();
        var onPool = true;
        using var subscription = source.ObserveOn(scheduler).Subscribe(
            v =>
            {
                onPool &= Thread.CurrentThread.IsThreadPoolThread;
                seen.Add(v);
            },
            () => done.TrySetResult());

        for (var i = 0; i < 20_000; i++)
        {
            source.OnNext(i);
        }

        source.OnCompleted();
        await done.Task.WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, 20_000), seen);
        Assert.True(onPool);
    }

    [Fact]
    public async Task A_work_item_disposed_before_it_runs_does_not_run_and_one_disposed_after_disposes_what_it_returned()
    {
        var scheduler = new PoolScheduler(e => Assert.Fail(e.ToString()));
        var ran = 0;
        var cancelled = scheduler.Schedule(0, TimeSpan.FromMilliseconds(300), (_, _) =>
        {
            Interlocked.Increment(ref ran);
            return Disposable.Empty;
        });
        cancelled.Dispose();

        var returned = new BooleanDisposable();
        var started = new TaskCompletionSource();
        var item = scheduler.Schedule(0, (_, _) =>
        {
            started.TrySetResult();
            return returned;
        });
        await started.Task.WaitAsync(Wait);
        await Task.Delay(1000); // the cancelled one was due after 300 ms
        item.Dispose();

        Assert.Equal(0, Volatile.Read(ref ran));
        Assert.True(returned.IsDisposed);
    }

    [Fact]
    public async Task What_an_action_throws_is_reported_not_thrown_on_the_pool()
    {
        var reported = new TaskCompletionSource<Exception>();
        var scheduler = new PoolScheduler(e => reported.TrySetResult(e));

        scheduler.Schedule(0, (Func<IScheduler, int, IDisposable>)((_, _) => throw new InvalidOperationException("a bug")));

        var error = await reported.Task.WaitAsync(Wait);
        Assert.Equal("a bug", error.Message);
    }

    [Fact]
    public async Task A_delayed_action_runs()
    {
        var scheduler = new PoolScheduler(e => Assert.Fail(e.ToString()));
        var ran = new TaskCompletionSource();

        scheduler.Schedule(0, TimeSpan.FromMilliseconds(100), (_, _) =>
        {
            ran.TrySetResult();
            return Disposable.Empty;
        });

        await ran.Task.WaitAsync(Wait);
    }
}
