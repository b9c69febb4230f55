using Xunit;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// How a command sent to the local call registry gets its one reply (without Akka's Ask): the caller continues off the
/// actor's thread, and a missing reply ends as a timeout or, with the caller's token, a cancellation.
/// </summary>
public sealed class CommandReplyTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    [Fact]
    public async Task A_caller_that_blocks_where_its_reply_arrives_does_not_hold_up_the_calls_actor()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-1", Hello));
        await Within10s(manager.PauseAsync("call-1", handle.ControlId));

        // Pause while paused is answered at once by the call's actor; the continuation runs where the reply is delivered
        // and waits there for a second command to the same call, which only an actor free of that thread can answer.
        var second = await Within10s(manager.PauseAsync("call-1", handle.ControlId).ContinueWith(
            _ => manager.ResumeAsync("call-1", handle.ControlId).Wait(TimeSpan.FromSeconds(10)),
            TaskContinuationOptions.ExecuteSynchronously));

        Assert.True(second);
    }

    [Fact]
    public async Task A_command_without_a_reply_within_the_ask_timeout_fails_with_a_timeout_naming_it()
    {
        var never = new TaskCompletionSource();
        Api.Respond = r => r.Command == CallingApi.Commands.Volume ? never.Task : Task.CompletedTask;
        await using var manager = CreateManager(Settings with { AskTimeout = TimeSpan.FromMilliseconds(300) });
        var handle = await Within10s(manager.PlayAsync("call-1", Hello));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => Within10s(manager.SetVolumeAsync("call-1", handle.ControlId, 3)));

        Assert.Contains("calling.play.volume", error.Message, StringComparison.Ordinal);
        never.SetResult();
    }

    [Fact]
    public async Task A_caller_that_stops_waiting_gets_a_cancellation_for_its_own_token()
    {
        var never = new TaskCompletionSource();
        Api.Respond = r => r.Command == CallingApi.Commands.Volume ? never.Task : Task.CompletedTask;
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-1", Hello));
        using var stop = new CancellationTokenSource();

        var waiting = manager.SetVolumeAsync("call-1", handle.ControlId, 3, stop.Token);
        await stop.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within10s(waiting));
        Assert.Equal(stop.Token, error.CancellationToken);
        never.SetResult();
    }

    [Fact]
    public async Task A_command_whose_token_is_already_cancelled_is_not_sent()
    {
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-1", Hello));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var volume = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within10s(manager.SetVolumeAsync("call-1", handle.ControlId, 3, cancelled.Token)));
        var play = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within10s(manager.PlayAsync("call-2", Hello, cancellationToken: cancelled.Token)));

        Assert.Equal(cancelled.Token, volume.CancellationToken);
        Assert.Equal(cancelled.Token, play.CancellationToken);
        Assert.Contains("not sent", play.Message, StringComparison.Ordinal);
        Assert.Equal([CallingApi.Commands.Play], Api.Requests.Select(r => r.Command));
        Assert.Equal(3, (await Within10s(manager.SetVolumeAsync("call-1", handle.ControlId, 3))).Volume); // the call's actor goes on
    }
}
