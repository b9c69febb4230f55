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
    public void A_work_item_disposed_before_it_runs_does_not_run_and_one_disposed_after_disposes_what_it_returned()
    {
        // The items are run here, as the pool would run them: nothing waits on the clock.
        var scheduler = new PoolScheduler(e => Assert.Fail(e.ToString()));
        var ran = 0;
        var cancelled = new PoolScheduler.WorkItem<int>(scheduler, 0, (_, _) =>
        {
            ran++;
            return Disposable.Empty;
        }, e => Assert.Fail(e.ToString()));
        var returned = new BooleanDisposable();
        var run = new PoolScheduler.WorkItem<int>(scheduler, 0, (_, _) => returned, e => Assert.Fail(e.ToString()));

        cancelled.Dispose();
        ((IThreadPoolWorkItem)cancelled).Execute();
        ((IThreadPoolWorkItem)run).Execute();
        Assert.False(returned.IsDisposed);
        run.Dispose();

        Assert.Equal(0, ran);
        Assert.True(returned.IsDisposed);
    }

    [Fact]
    public void A_work_item_disposed_while_its_action_runs_disposes_what_the_action_returns()
    {
        var returned = new BooleanDisposable();
        PoolScheduler.WorkItem<int>? item = null;
        item = new PoolScheduler.WorkItem<int>(new PoolScheduler(_ => { }), 0, (_, _) =>
        {
            item!.Dispose();
            return returned;
        }, e => Assert.Fail(e.ToString()));

        ((IThreadPoolWorkItem)item).Execute();

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
