namespace Playback;

/// <summary>The recorder's deletes: one of each kind at a time, retried when they fail.</summary>
internal sealed partial class CallRecorder
{
    private const int MaxDeleteAttempts = 4;

    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(35), TimeSpan.FromSeconds(90)];

    private sealed class DeleteAgain
    {
        public static readonly DeleteAgain Instance = new();
    }

    /// <summary>Runs one delete at a time; one asked for meanwhile waits, merged with the others (the highest sequence number wins).</summary>
    private sealed class OneAtATime(Action<long> delete)
    {
        private long _running;
        private long _wanted;

        public void Request(long toSequenceNr)
        {
            if (_running > 0)
            {
                _wanted = Math.Max(_wanted, toSequenceNr);
                return;
            }

            _running = toSequenceNr;
            delete(toSequenceNr);
        }

        public void Done()
        {
            _running = 0;
            var wanted = _wanted;
            _wanted = 0;
            if (wanted > 0)
            {
                Request(wanted);
            }
        }
    }
}
