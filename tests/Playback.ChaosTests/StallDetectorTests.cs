using System.Diagnostics;
using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>The stall detector fires on a command that waits too long, says how far each command in flight got, and stays quiet otherwise.</summary>
public sealed class StallDetectorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_command_waiting_longer_than_the_limit_fires_once_with_the_pool_statistics_and_the_commands_by_stage()
    {
        await using var emu = await CallingEmulator.StartAsync();
        var call = emu.CreateCall();
        emu.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play.pause", LatencyMs = 5000 }] });
        var ledger = new ChaosLedger();
        var never = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var report = Path.Combine(Path.GetTempPath(), $"chaos-report-{Guid.NewGuid():N}.txt");
        try
        {
            await ledger.Run("quick", "calling.play.stop", call, "q", () => Task.FromResult("done"));
            _ = ledger.Run("stuck", "calling.play.stop", call, "s", () => never.Task);
            _ = ledger.Run("slow", "calling.play.pause", call, "p", async () => (await RawCalls.PostAsync(emu, call, "calling.play.pause", "p")).ToString(System.Globalization.CultureInfo.InvariantCulture));
            await EventuallyAsync(() => emu.Journal.Arrivals.Count == 1);

            // Watching starts once the slow command is at the emulator (its 5 s latency holds it there), so that its stage is known.
            using var detector = new StallDetector(ledger, emu.Journal, TimeSpan.FromMilliseconds(300), "under test", report);
            await EventuallyAsync(() => detector.Fired);

            var lines = detector.Report!.Split('\n');
            Assert.StartsWith($"STALL under test: command #2 stuck s on call {call} waited ", lines[0], StringComparison.Ordinal);
            Assert.Contains("in flight 2 (", lines[0], StringComparison.Ordinal);
            Assert.Contains("issued (not seen by the emulator) 1", lines[0], StringComparison.Ordinal);
            Assert.Contains("seen by the emulator (being answered) 1", lines[0], StringComparison.Ordinal);
            Assert.Contains("thread pool: threads ", lines[0], StringComparison.Ordinal);
            Assert.Contains("pending work items ", lines[0], StringComparison.Ordinal);
            Assert.Contains(lines, l => l.Contains("#3 slow p on call", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("quick", StringComparison.Ordinal));
            Assert.Equal([lines[0]], await File.ReadAllLinesAsync(report));
            Assert.Equal(2, detector.Slowest()!.Value.Command.Id);
        }
        finally
        {
            never.SetResult("released");
            File.Delete(report);
        }
    }

    [Fact]
    public async Task Commands_answered_within_the_limit_do_not_fire_and_the_slowest_is_measured()
    {
        await using var emu = await CallingEmulator.StartAsync();
        var ledger = new ChaosLedger();
        using var detector = new StallDetector(ledger, emu.Journal, TimeSpan.FromSeconds(5), "under test", reportPath: null);

        await Task.WhenAll(
            ledger.Run("fast", "calling.play.stop", "c", "a", () => Task.FromResult("done")),
            ledger.Run("slower", "calling.play.stop", "c", "b", async () =>
            {
                await Task.Delay(150);
                return "done";
            }));
        var atReply = detector.Slowest()!.Value;
        var quiet = Stopwatch.StartNew();
        await EventuallyAsync(() => quiet.Elapsed > TimeSpan.FromMilliseconds(600));

        Assert.False(detector.Fired);
        Assert.Null(detector.Report);
        var later = detector.Slowest()!.Value;
        Assert.Equal("slower", later.Command.Kind);
        Assert.True(later.Waited >= TimeSpan.FromMilliseconds(140), $"waited {later.Waited}");
        Assert.Equal(atReply.Waited, later.Waited);
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < Patience, "timed out waiting for the condition");
            await Task.Delay(20);
        }
    }
}
