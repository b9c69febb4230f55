using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit.Xunit2;
using Xunit;
using static Playback.Tests.Sm;

namespace Playback.Tests;

/// <summary>
/// The recorder's write-behind (README, "Surviving restarts"): changes that report what already happened wait and go to
/// the journal merged into the next change as one event; alone, they are written after <see cref="CallRecorder.WriteBehindDelay"/>;
/// a flush or a prune writes them at once. Akka's in-memory journal stands in for the SQL plugin here (the real databases
/// are in Playback.PersistenceTests): these tests read the events the recorder wrote.
/// </summary>
public sealed class CallRecorderWriteBehindTests() : TestKit($$"""
    akka.loglevel = WARNING
    {{PlaybackStore.JournalId}}.class = "Akka.Persistence.Journal.MemoryJournal, Akka.Persistence"
    {{PlaybackStore.SnapshotStoreId}}.class = "Akka.Persistence.Snapshot.MemorySnapshotStore, Akka.Persistence"
    """)
{
    private const string PersistenceId = PlaybackPersistenceSettings.PersistenceIdPrefix + CallId;

    [Fact]
    public void Answers_written_behind_go_into_the_next_commands_write_as_one_event_that_recovers_the_same_state()
    {
        var recorder = Recorder();
        var starting = Starting("p");
        var playing = starting.RequestSucceeded(PlayAckAt).State;
        var pausing = playing.Decide(Pause("p"), At(15)).State;
        var paused = pausing.RequestSucceeded(PauseAckAt).State;
        var resuming = paused.Decide(Resume("p"), At(25)).State;

        recorder.Tell(Ahead(Idle(), starting));
        ExpectMsg<ChangeRecorded>();
        recorder.Tell(Behind(starting, playing));
        recorder.Tell(Ahead(playing, pausing));
        ExpectMsg<ChangeRecorded>();
        recorder.Tell(Behind(pausing, paused));
        recorder.Tell(Ahead(paused, resuming));
        ExpectMsg<ChangeRecorded>();

        var events = Events();
        Assert.Equal(3, events.Count);
        AssertSame(resuming, Recovered(events));
        ExpectNoMsg(CallRecorder.WriteBehindDelay * 2);
    }

    [Fact]
    public void An_answer_with_no_command_after_it_is_written_alone_after_the_delay_and_acknowledges_nothing()
    {
        var recorder = Recorder();
        var starting = Starting("p");
        var playing = starting.RequestSucceeded(PlayAckAt).State;
        recorder.Tell(Ahead(Idle(), starting));
        ExpectMsg<ChangeRecorded>();

        recorder.Tell(Behind(starting, playing));

        AwaitAssert(() => Assert.Equal(2, Events().Count), TimeSpan.FromSeconds(5));
        AssertSame(playing, Recovered(Events()));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_flush_writes_what_is_held_before_it_answers_and_several_held_changes_become_one_event()
    {
        var recorder = Recorder();
        var starting = Starting("p");
        var playing = starting.RequestSucceeded(PlayAckAt).State;
        var finished = playing.PlayStatus(Status("p", "finished", At(30)), At(30)).State;
        recorder.Tell(Ahead(Idle(), starting));
        ExpectMsg<ChangeRecorded>();

        recorder.Tell(Behind(starting, playing));
        recorder.Tell(Behind(playing, finished));
        recorder.Tell(new FlushCall(CallId));

        ExpectMsg<StoreFlushed>();
        var events = Events();
        Assert.Equal(2, events.Count);
        AssertSame(finished, Recovered(events));
    }

    [Fact]
    public void A_whole_state_among_the_held_changes_makes_the_merged_event_a_whole_state()
    {
        var (recorder, starting, playing, pausing) = PlayRecorded(CallRecorder.WriteBehindDelay);

        // A resync after a failed write: the actor sends the whole state, and what follows is taken against it.
        recorder.Tell(new RecordChange(CallChange.Of(playing), playing, Ack: false));
        recorder.Tell(Ahead(playing, pausing));
        ExpectMsg<ChangeRecorded>();

        var events = Events();
        Assert.Equal(2, events.Count);
        Assert.True(events[^1].Full);
        AssertSame(pausing, Recovered(events));
    }

    private IActorRef Recorder() => Recorder(CallRecorder.WriteBehindDelay);

    /// <summary>A recorder whose play was written ahead, and the states of that play: starting, playing, pausing.</summary>
    private (IActorRef Recorder, CallPlaybacks Starting, CallPlaybacks Playing, CallPlaybacks Pausing) PlayRecorded(TimeSpan hold)
    {
        var recorder = Recorder(hold);
        var starting = Starting("p");
        var playing = starting.RequestSucceeded(PlayAckAt).State;
        recorder.Tell(Ahead(Idle(), starting));
        ExpectMsg<ChangeRecorded>();
        return (recorder, starting, playing, playing.Decide(Pause("p"), At(15)).State);
    }

    private IActorRef Recorder(TimeSpan hold)
    {
        var recorder = ChildActorOf(CallRecorder.Props(CallId, snapshotEvery: 1000, gate: null, hold));
        Assert.True(ExpectMsg<CallRecovered>().State.Playbacks.IsEmpty);
        return recorder;
    }

    [Fact]
    public void After_a_flush_nothing_is_held_any_more()
    {
        // A flush comes before a graceful stop: what the call does between the two must not wait in memory.
        var (recorder, starting, playing, pausing) = PlayRecorded(CallRecorder.WriteBehindDelay);
        recorder.Tell(new FlushCall(CallId));
        ExpectMsg<StoreFlushed>();

        recorder.Tell(Behind(starting, playing));
        recorder.Tell(Ahead(playing, pausing));
        ExpectMsg<ChangeRecorded>();

        Assert.Equal(3, Events().Count);
        AssertSame(pausing, Recovered(Events()));
    }

    [Fact]
    public void Without_a_hold_an_answer_is_not_merged_into_the_next_command()
    {
        var (recorder, starting, playing, pausing) = PlayRecorded(TimeSpan.Zero);

        recorder.Tell(Behind(starting, playing));
        recorder.Tell(Ahead(playing, pausing));
        ExpectMsg<ChangeRecorded>();

        Assert.Equal(3, Events().Count);
        AssertSame(pausing, Recovered(Events()));
    }

    private static RecordChange Ahead(CallPlaybacks before, CallPlaybacks after) => new(CallChange.Between(before, after), after, Ack: true);

    private static RecordChange Behind(CallPlaybacks before, CallPlaybacks after) => new(CallChange.Between(before, after), after, Ack: false);

    /// <summary>Equal in everything the store keeps (the change between them is empty).</summary>
    private static void AssertSame(CallPlaybacks expected, CallPlaybacks recovered)
    {
        Assert.True(CallChange.Between(expected, recovered).IsEmpty, "the recovered state differs from the state the changes led to");
        Assert.Equal(expected.Playbacks.Count, recovered.Playbacks.Count);
    }

    private static CallPlaybacks Recovered(IEnumerable<CallChange> events) => events.Aggregate(Idle(), (state, change) => change.ApplyTo(state));

    /// <summary>The events the journal holds for the call, read the way recovery reads them.</summary>
    private List<CallChange> Events()
    {
        var reader = CreateTestProbe();
        Persistence.Instance.Apply(Sys).JournalFor(PlaybackStore.JournalId)
            .Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, PersistenceId, reader.Ref), reader.Ref);
        var events = new List<CallChange>();
        while (true)
        {
            switch (reader.ReceiveOne(TimeSpan.FromSeconds(5)))
            {
                case ReplayedMessage replayed:
                    events.Add((CallChange)replayed.Persistent.Payload);
                    break;
                case RecoverySuccess:
                    return events;
                case var other:
                    throw new InvalidOperationException($"unexpected {other}");
            }
        }
    }
}
