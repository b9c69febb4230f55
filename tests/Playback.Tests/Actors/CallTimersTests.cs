using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Xunit;

namespace Playback.Tests;

/// <summary>
/// The call actors' keyed timers: a timer's message is current until the timer is started again, cancelled or its
/// message handled; a message a timer had already sent before that is recognised as stale (what Akka's timers promise).
/// </summary>
public sealed class CallTimersTests() : TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    /// <summary>Moves the clock on and takes the one timer message that came due (told during the advance).</summary>
    private CallTimers.Fired Fire(TimeSpan after)
    {
        Clock.Advance(after);
        var fired = ExpectMsg<CallTimers.Fired>();
        Assert.False(HasMessages);
        return fired;
    }

    [Fact]
    public void A_timer_delivers_its_message_after_its_delay_and_then_no_longer_runs()
    {
        var timers = new CallTimers(TestActor, Sys.Scheduler);
        timers.StartSingleTimer("watchdog:a", "a", TimeSpan.FromSeconds(5));

        Clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(HasMessages); // the clock's due messages are told during Advance
        var fired = Fire(TimeSpan.FromSeconds(1));

        Assert.Equal("a", fired.Message);
        Assert.True(timers.IsCurrent(fired));
        timers.Delivered(fired);
        Assert.False(timers.IsCurrent(fired));
    }

    [Fact]
    public void A_message_already_sent_is_stale_once_its_timer_is_started_again_or_cancelled()
    {
        var timers = new CallTimers(TestActor, Sys.Scheduler);
        timers.StartSingleTimer("k", "first", TimeSpan.FromSeconds(1));
        timers.StartSingleTimer("other", "other", TimeSpan.FromSeconds(1));
        Clock.Advance(TimeSpan.FromSeconds(1));
        var first = ExpectMsg<CallTimers.Fired>(f => f.Key == "k");
        var other = ExpectMsg<CallTimers.Fired>(f => f.Key == "other");

        timers.StartSingleTimer("k", "second", TimeSpan.FromSeconds(1));
        timers.Cancel("other");

        Assert.False(timers.IsCurrent(first));
        Assert.False(timers.IsCurrent(other));
        var second = Fire(TimeSpan.FromSeconds(1));
        Assert.Equal("second", second.Message);
        Assert.True(timers.IsCurrent(second));
    }

    [Fact]
    public void A_message_from_an_earlier_incarnations_timers_is_not_current_for_the_next_ones()
    {
        // A restarted actor gets new timers whose generations start again: the old one's message must not match.
        var before = new CallTimers(TestActor, Sys.Scheduler);
        before.StartSingleTimer("watchdog:a", "old", TimeSpan.FromSeconds(1));
        var old = Fire(TimeSpan.FromSeconds(1));

        var after = new CallTimers(TestActor, Sys.Scheduler);
        after.StartSingleTimer("watchdog:a", "new", TimeSpan.FromSeconds(5));

        var fresh = Fire(TimeSpan.FromSeconds(5));

        Assert.Equal((old.Key, old.Generation), (fresh.Key, fresh.Generation));
        Assert.True(after.IsCurrent(fresh));
        Assert.False(after.IsCurrent(old));
    }

    [Fact]
    public void A_timer_started_again_or_cancelled_before_its_delay_sends_nothing()
    {
        var timers = new CallTimers(TestActor, Sys.Scheduler);
        timers.StartSingleTimer("k", "first", TimeSpan.FromSeconds(1));
        timers.StartSingleTimer("k", "second", TimeSpan.FromSeconds(3));
        timers.StartSingleTimer("gone", "gone", TimeSpan.FromSeconds(1));
        timers.StartSingleTimer("all", "all", TimeSpan.FromSeconds(1));
        timers.Cancel("gone");

        var all = Fire(TimeSpan.FromSeconds(1));
        Assert.Equal("all", all.Message);

        timers.CancelAll();
        Assert.False(timers.IsCurrent(all));
        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.False(HasMessages); // the clock's due messages are told during Advance
    }
}
