using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace Playback.PersistenceTests;

/// <summary>A journal whose every read fails at once (a store that cannot be read), while writes would work.</summary>
public sealed class UnreadableJournal : MemoryJournal
{
    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        Task.FromException<long>(new IOException("the journal cannot be read"));

    public override Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback) =>
        Task.FromException(new IOException("the journal cannot be read"));
}
