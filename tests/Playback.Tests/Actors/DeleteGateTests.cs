using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit;

namespace Playback.Tests;

/// <summary>
/// The bound on the store's deletes in flight across a manager's calls: a call over the bound waits and is told when a
/// slot frees, in arrival order; a call that stops gives back what it holds and withdraws what it waits for.
/// </summary>
public sealed class DeleteGateTests : TestKit
{
    private sealed record Grant(string Name);

    [Fact]
    public void Calls_over_the_limit_wait_and_get_the_freed_slots_in_arrival_order()
    {
        var gate = new DeleteGate(2);
        var (a, b, c, d) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe(), CreateTestProbe());

        Assert.True(gate.TryEnter(a, new Grant("a")));
        Assert.True(gate.TryEnter(b, new Grant("b")));
        Assert.False(gate.TryEnter(c, new Grant("c")));
        Assert.False(gate.TryEnter(d, new Grant("d")));
        Assert.Equal((2, 2), gate.Load);

        gate.Exit(a);
        c.ExpectMsg(new Grant("c"));
        d.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        gate.Exit(b);
        d.ExpectMsg(new Grant("d"));
        Assert.Equal((2, 0), gate.Load);

        gate.Exit(c);
        gate.Exit(d);
        Assert.Equal((0, 0), gate.Load);
    }

    [Fact]
    public void Exit_by_a_call_that_holds_nothing_frees_nothing()
    {
        var (gate, a, b, c) = OneInOneWaiting();

        gate.Exit(c);

        b.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal((1, 1), gate.Load);
    }

    [Fact]
    public void A_call_that_stops_withdraws_its_waits_and_passes_on_every_slot_it_holds_even_one_granted_and_never_read()
    {
        var gate = new DeleteGate(2);
        var (a, b, c) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        Assert.True(gate.TryEnter(a, new Grant("a-events")));
        Assert.True(gate.TryEnter(b, new Grant("b")));
        Assert.False(gate.TryEnter(a, new Grant("a-snapshots")));
        Assert.False(gate.TryEnter(c, new Grant("c")));

        // b's slot goes to a's second wait; a then stops without reading it: both of a's slots pass on, one to c.
        gate.Exit(b);
        a.ExpectMsg(new Grant("a-snapshots"));
        gate.Leave(a);

        c.ExpectMsg(new Grant("c"));
        Assert.Equal((1, 0), gate.Load);
        gate.Leave(c);
        Assert.Equal((0, 0), gate.Load);
    }

    [Fact]
    public void A_waiting_call_that_stops_is_skipped()
    {
        var (gate, a, b, c) = OneInOneWaiting();
        Assert.False(gate.TryEnter(c, new Grant("c")));

        gate.Leave(b);
        gate.Exit(a);

        c.ExpectMsg(new Grant("c"));
        b.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal((1, 0), gate.Load);
    }

    /// <summary>A gate of one slot: a holds it, b waits for it, c has not asked.</summary>
    private (DeleteGate Gate, Akka.TestKit.TestProbe A, Akka.TestKit.TestProbe B, Akka.TestKit.TestProbe C) OneInOneWaiting()
    {
        var gate = new DeleteGate(1);
        var (a, b, c) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        Assert.True(gate.TryEnter(a, new Grant("a")));
        Assert.False(gate.TryEnter(b, new Grant("b")));
        return (gate, a, b, c);
    }
}
