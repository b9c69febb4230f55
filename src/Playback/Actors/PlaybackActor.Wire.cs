using System.Diagnostics;
using Akka.Actor;

namespace Playback;

/// <summary>A request a call actor left on the wire when it stopped or restarted, until it is answered.</summary>
/// <param name="Request">What was sent.</param>
/// <param name="Task">Its outcome.</param>
/// <param name="Resent">It was itself sent again after a recovery (an earlier attempt may have landed: a refusal of it is not certain).</param>
internal sealed record LeftRequest(ApiRequest Request, Task Task, bool Resent);

/// <summary>
/// One request per call at a time, also across the call's actors: an actor that stops or restarts (a failure inside
/// Playback, or its registry restarting) with a request on the wire leaves it in the manager's
/// <see cref="PlaybackActorSettings.LeftOnTheWire"/>, and the call's next actor, or next incarnation, sends nothing before
/// it is answered. With a store, the one it recovers as in flight is that same request: it takes its outcome instead of
/// sending it again (also once answered, for <see cref="PlaybackActorSettings.LeftRequestRetention"/>).
/// </summary>
internal partial class PlaybackActor
{
    // Null; the task of this actor's last request; the LeftRequest of an earlier actor, until this one sends; or a
    // DeferredSend, this actor's request waiting for that one.
    private object? _wire;

    /// <summary>
    /// In the constructor: a request an earlier actor of the call left on the wire is waited for, or, once answered, kept
    /// for <see cref="Resend"/> (with a store, the request this actor recovers as in flight may be that one).
    /// </summary>
    private void TakeOverWire()
    {
        if (Settings.LeftOnTheWire.TryGetValue(CallId, out var left))
        {
            _wire = left;
            if (left.Task.IsCompleted)
            {
                Settings.LeftOnTheWire.TryRemove(new KeyValuePair<string, LeftRequest>(CallId, left)); // its outcome is this actor's to use
            }
        }
    }

    private void Send(ApiRequest request)
    {
        var sequence = ++_sequence;
        var trace = CommandTrace();
        Task task;
        // This actor's own last request was answered before its state machine asked for another: only an earlier actor's can still be out.
        if (_wire is LeftRequest { Task.IsCompleted: false } left)
        {
            var deferred = new DeferredSend(left);
            task = deferred.Task = SendAfterAsync(deferred, Settings, CallId, request, trace);
            _wire = deferred;
        }
        else
        {
            task = Start(Settings, CallId, request, trace);
            _wire = task;
        }

        Settings.Counters.RequestSent();
        PipeOutcome(task, sequence);
    }

    /// <summary>
    /// Puts the request recovered as in flight on the wire again, unless it is the very request an earlier actor of the call
    /// left there (same command, same control id): then its outcome, known in this process, is this one's.
    /// </summary>
    private void Resend(ApiRequest request)
    {
        if (_wire is LeftRequest { Request: var sent } left && sent.Command == request.Command && sent.ControlId == request.ControlId)
        {
            _resent = left.Resent; // the outcome is that request's own: a second attempt only if it was one
            _wire = left.Task;
            PipeOutcome(left.Task, ++_sequence);
            return;
        }

        Send(request);
    }

    private void PipeOutcome(Task task, long sequence) => _ = TellOutcomeAsync(task, Self, sequence, Settings.InlineAnswers);

    /// <summary>
    /// What Akka's PipeTo does, with the call's actor run where the answer of Playback's own HTTP client arrived
    /// (<see cref="InlineExecutor"/>); not where another <see cref="ICallingApi"/> completes its task (under its lock, in
    /// its reader loop).
    /// </summary>
    private static async Task TellOutcomeAsync(Task task, IActorRef self, long sequence, bool inline)
    {
        RequestCompleted outcome;
        try
        {
            await task.ConfigureAwait(false);
            outcome = new RequestCompleted(sequence, null);
        }
        catch (Exception e)
        {
            outcome = new RequestCompleted(sequence, e);
        }

        using var scope = inline ? InlineExecutor.RunWoken(caller: false) : default;
        self.Tell(outcome, ActorRefs.NoSender);
    }

    /// <summary>Puts <paramref name="request"/> on the wire (a failure to start is the request's failure).</summary>
    private static Task Start(PlaybackActorSettings settings, string callId, ApiRequest request, Activity? trace)
    {
        var api = settings.Api;
        var token = settings.Shutdown;
        try
        {
            using var scope = PlaybackActivities.Enter(trace);
            return request.Command switch
            {
                ApiCommand.Play => api.PlayAsync(callId, request.ControlId, request.Media, request.Options ?? PlayOptions.Default, token),
                ApiCommand.Pause => api.PauseAsync(callId, request.ControlId, token),
                ApiCommand.Resume => api.ResumeAsync(callId, request.ControlId, token),
                ApiCommand.Stop => api.StopAsync(callId, request.ControlId, token),
                _ => api.SetVolumeAsync(callId, request.ControlId, request.Volume, token),
            };
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    /// <summary>
    /// Puts <paramref name="request"/> on the wire once the earlier actor's request is answered (whatever its outcome: that
    /// was its own caller's), or after <see cref="PlaybackActorSettings.LeftRequestWaitLimit"/>; not at all when this actor
    /// stopped meanwhile (withdrawn: its caller is told nothing was sent).
    /// </summary>
    private static async Task SendAfterAsync(DeferredSend deferred, PlaybackActorSettings settings, string callId, ApiRequest request, Activity? trace)
    {
        var earlier = deferred.Earlier.Task;
        await Task.WhenAny(earlier, Task.Delay(settings.LeftRequestWaitLimit, settings.Shutdown)).ConfigureAwait(false);
        if (Interlocked.CompareExchange(ref deferred.State, DeferredSend.Started, DeferredSend.Waiting) != DeferredSend.Waiting)
        {
            throw new OperationCanceledException("withdrawn: the call's actor stopped before the request went out");
        }

        await Start(settings, callId, request, trace).ConfigureAwait(false);
    }

    /// <summary>
    /// On stop or restart: what is still on the wire is left for the call's next actor (or incarnation) to wait for, with
    /// the landed evidence of this actor's request kept until it is answered (its retries read it). A request that still
    /// waited for an earlier one is withdrawn; true then (nothing of the current command was sent).
    /// </summary>
    private bool LeaveOnTheWire()
    {
        var withdrawn = false;
        LeftRequest? left = null;
        switch (_wire)
        {
            case DeferredSend deferred when Interlocked.CompareExchange(ref deferred.State, DeferredSend.Withdrawn, DeferredSend.Waiting) == DeferredSend.Waiting:
                withdrawn = true;
                left = deferred.Earlier;
                break;
            case DeferredSend { Task.IsCompleted: false } started when State.InFlight is { Request: var request }:
                left = new LeftRequest(request, started.Task, _resent);
                break;
            case Task { IsCompleted: false } task when State.InFlight is { Request: var request }:
                left = new LeftRequest(request, task, _resent);
                break;
            case LeftRequest earlier:
                left = earlier;
                break;
        }

        if (left is null || left.Task.IsCompleted)
        {
            return withdrawn;
        }

        Settings.LeftOnTheWire[CallId] = left;
        string? landed = null;
        if (!withdrawn)
        {
            (landed, _evidenceFor) = (_evidenceFor, null); // forgotten when the request is answered, not now
        }

        _ = ForgetWhenAnsweredAsync(Settings, CallId, left, landed);
        return withdrawn;
    }

    /// <summary>
    /// Once <paramref name="left"/> is answered: forgets the proof that it landed, and, after
    /// <see cref="PlaybackActorSettings.LeftRequestRetention"/> (the call's next actor starts with the call's next message;
    /// with a store it takes the outcome instead of sending the request again), the request itself.
    /// </summary>
    private static async Task ForgetWhenAnsweredAsync(PlaybackActorSettings settings, string callId, LeftRequest left, string? landed)
    {
        await left.Task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        if (landed is not null)
        {
            settings.Evidence?.Forget(callId, landed);
        }

        await Task.Delay(settings.LeftRequestRetention).ConfigureAwait(false);
        settings.LeftOnTheWire.TryRemove(new KeyValuePair<string, LeftRequest>(callId, left));
    }

    /// <summary>This actor's request, waiting for an earlier actor's to be answered.</summary>
    private sealed class DeferredSend(LeftRequest earlier)
    {
        public const int Waiting = 0;
        public const int Started = 1;
        public const int Withdrawn = 2;

        public int State = Waiting;

        public LeftRequest Earlier { get; } = earlier;

        public Task Task { get; set; } = Task.CompletedTask;
    }
}
