using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>What each call does under faults: the fault plan, the call scripts and the dead-letter watcher.</summary>
public sealed partial class ChaosTests
{
    private static FaultPlan Plan(int generation) => new()
    {
        Seed = Seed + generation,
        Commands =
        [
            new CommandFaultRule { Status = 500, Probability = 0.02 },
            new CommandFaultRule { Status = 502, Probability = 0.02 },
            new CommandFaultRule { Status = 503, Probability = 0.02 },
            new CommandFaultRule { Status = 429, RetryAfterSeconds = 1, Probability = 0.02 },
            new CommandFaultRule { Status = 429, RetryAfterDate = DateTimeOffset.UtcNow.AddSeconds(1), Probability = 0.02 },
            new CommandFaultRule { DropConnection = true, Probability = 0.03 },
            new CommandFaultRule { DropConnection = true, AfterApply = true, Probability = 0.03 },
            new CommandFaultRule { LatencyMs = 300, Probability = 0.03 },
            new CommandFaultRule { LatencyMs = 100, Probability = 0.05 },
        ],
        Webhooks =
        [
            new WebhookFaultRule { Kind = WebhookFaultKind.Drop, Probability = 0.05 },
            new WebhookFaultRule { Kind = WebhookFaultKind.Duplicate, Probability = 0.05 },
            new WebhookFaultRule { Kind = WebhookFaultKind.Reorder, DelayMs = 400, Probability = 0.05 },
            new WebhookFaultRule { Kind = WebhookFaultKind.Delay, DelayMs = 250, Probability = 0.05 },
            new WebhookFaultRule { Kind = WebhookFaultKind.DeadUrl, Probability = 0.02 },
        ],
    };

    private static async Task RunScriptAsync(CallScript call, PlaybackManager playback, CallingEmulator emulator, ChaosLedger ledger)
    {
        var rng = call.Random;
        var length = rng.Next(3, 9);
        var hangUpAt = rng.NextDouble() < 0.12 ? rng.Next(1, length) : -1;
        var unawaited = new List<Task>();
        for (var step = 0; step < length; step++)
        {
            if (step == hangUpAt)
            {
                call.HangUp(emulator, midSequence: true);
            }

            var roll = step == 0 ? 0 : rng.NextDouble();
            Task command = roll switch
            {
                < 0.25 => PlayAsync(call, playback, ledger),
                < 0.45 => Control(call, "pause", ledger, id => playback.PauseAsync(call.Id, id)),
                < 0.65 => Control(call, "resume", ledger, id => playback.ResumeAsync(call.Id, id)),
                < 0.80 => Control(call, "volume", ledger, id => playback.SetVolumeAsync(call.Id, id, rng.Next(-20, 11))),
                _ => Control(call, "stop", ledger, id =>
                {
                    call.StopRequested.TryAdd(id, true);
                    return playback.StopAsync(call.Id, id);
                }),
            };

            // A quarter of the commands are not awaited before the next one is issued: they queue in the call's actor.
            if (rng.NextDouble() < 0.25)
            {
                unawaited.Add(command);
            }
            else
            {
                await command;
            }

            if (rng.NextDouble() < 0.3)
            {
                await Task.Delay(rng.Next(5, 150));
            }
        }

        await Task.WhenAll(unawaited);
    }

    private static async Task PlayAsync(CallScript call, PlaybackManager playback, ChaosLedger ledger)
    {
        var rng = call.Random;
        var controlId = $"chaos-{call.Index:D3}-{call.ControlIds.Count}";
        var kindRoll = rng.NextDouble();
        var seconds = rng.Next(80, 121);
        var (kind, media, loop) = kindRoll switch
        {
            < 0.35 => (MediaKind.Ringtone, new MediaItem[] { Media.Ringtone("us") }, (int?)null),
            < 0.50 => (MediaKind.LoopForever, [Media.Tts("Please hold, your call is important to us."), Media.Silence(2)], 0),
            < 0.85 => (MediaKind.Finite, [Media.Tts("Thanks for waiting."), Media.Silence(seconds)], null),
            _ => (MediaKind.ErrorLater, [Media.Silence(seconds), Media.Audio("https://media.invalid/broken.mp3")], null),
        };
        var replace = rng.NextDouble() < 0.3;
        var volume = rng.NextDouble() < 0.2 ? rng.Next(-10, 6) : (double?)null;
        call.ControlIds.Add(controlId);
        call.Kinds[controlId] = kind;
        if (replace)
        {
            call.ReplacedBefore[controlId] = call.ControlIds.Count - 1;
        }

        var options = new PlayOptions { ControlId = controlId, Loop = loop, Volume = volume, WhenBusy = replace ? PlayConflict.Replace : PlayConflict.Enqueue };
        var handle = await ledger.Run(replace ? "play (replace)" : "play (enqueue)", "calling.play", call.Id, controlId, async () =>
        {
            try
            {
                return await playback.PlayAsync(call.Id, media, options);
            }
            catch (Exception e)
            {
                // What the application was told: this play failed.
                call.PlayFailures[controlId] = ChaosLedger.Classify(e);
                throw;
            }
        });
        if (handle is not null)
        {
            call.Handles[controlId] = handle;
        }
    }

    private static Task Control(CallScript call, string kind, ChaosLedger ledger, Func<string, Task<PlaybackSnapshot>> command)
    {
        var rng = call.Random;
        var ids = call.ControlIds;
        var target = rng.NextDouble() < 0.7 ? ids[^1] : ids[rng.Next(ids.Count)];
        return ledger.Run(kind, "calling.play." + kind, call.Id, target, () => command(target));
    }

    private static async Task WindDownAsync(CallScript call, CallingEmulator emulator, ChaosLedger ledger)
    {
        if (!call.IsHungUp && call.Random.NextDouble() < 0.3)
        {
            call.HangUp(emulator, midSequence: false);
        }

        // Newest first, so that stopping the current playback does not start a queued one only to stop it next.
        for (var i = call.ControlIds.Count - 1; i >= 0; i--)
        {
            var id = call.ControlIds[i];
            if (call.Handles.TryGetValue(id, out var handle) && !handle.Completion.IsCompleted)
            {
                call.StopRequested.TryAdd(id, true);
                await ledger.Run("stop (wind-down)", "calling.play.stop", call.Id, id, () => handle.StopAsync());
            }
        }
    }

    /// <summary>One call's script and what it did. ControlIds and Random are only touched by the call's own task.</summary>
    private sealed class CallScript(int index, string id, Random random)
    {
        private int _hungUp;

        public int Index { get; } = index;

        public string Id { get; } = id;

        public Random Random { get; } = random;

        public List<string> ControlIds { get; } = [];

        public ConcurrentDictionary<string, MediaKind> Kinds { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, PlaybackHandle> Handles { get; } = new(StringComparer.Ordinal);

        /// <summary>Control id → how PlayAsync failed, for the plays that threw.</summary>
        public ConcurrentDictionary<string, string> PlayFailures { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, bool> StopRequested { get; } = new(StringComparer.Ordinal);

        /// <summary>Replace plays: control id → its index in <see cref="ControlIds"/>.</summary>
        public ConcurrentDictionary<string, int> ReplacedBefore { get; } = new(StringComparer.Ordinal);

        public bool IsHungUp => Volatile.Read(ref _hungUp) == 1;

        public bool HungUpMidSequence { get; private set; }

        public void HangUp(CallingEmulator emulator, bool midSequence)
        {
            if (Interlocked.Exchange(ref _hungUp, 1) == 0)
            {
                HungUpMidSequence = midSequence;
                emulator.EndCall(Id);
            }
        }
    }

    /// <summary>Collects command replies that reached Akka's dead letters: a command answered twice, or after its Ask ended.</summary>
    private sealed class ReplyDeadLetterWatcher : ReceiveActor
    {
        public ReplyDeadLetterWatcher(ConcurrentQueue<string> sink)
        {
            Receive<DeadLetter>(d =>
            {
                if (d.Message.GetType().Name is "CommandSucceeded" or "CommandFailed")
                {
                    sink.Enqueue(d.Message.ToString() ?? d.Message.GetType().Name);
                }
            });
        }
    }
}
