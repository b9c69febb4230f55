using System.Collections.Concurrent;

namespace Playback.Tests;

/// <summary>One request the fake API received.</summary>
public sealed record FakeRequest(string Command, string CallId, string ControlId, double? Volume = null, IReadOnlyList<MediaItem>? Media = null, PlayOptions? Options = null);

/// <summary>
/// An in-memory ICallingApi: records every request in arrival order, measures how many requests per call are in flight
/// at once, and answers through <see cref="Respond"/> (default: success after yielding, so requests really overlap
/// if the caller lets them).
/// </summary>
public sealed class FakeCallingApi : ICallingApi
{
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    private readonly object _gate = new();
    private readonly List<FakeRequest> _requests = [];
    private int _maxInFlightPerCall;

    /// <summary>How a request is answered. Throw or return a faulted task to fail it.</summary>
    public Func<FakeRequest, Task> Respond { get; set; } = async _ => await Task.Yield();

    /// <summary>When set, answers instead of <see cref="Respond"/> and sees the request's cancellation token (e.g. to hang until cancelled).</summary>
    public Func<FakeRequest, CancellationToken, Task>? RespondCancellable { get; set; }

    public IReadOnlyList<FakeRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToList();
            }
        }
    }

    public int MaxInFlightPerCall => Volatile.Read(ref _maxInFlightPerCall);

    public Task PlayAsync(string callId, string controlId, IReadOnlyList<MediaItem> media, PlayOptions options, CancellationToken cancellationToken) =>
        Run(new FakeRequest(CallingApi.Commands.Play, callId, controlId, options.Volume, media, options), cancellationToken);

    public Task PauseAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        Run(new FakeRequest(CallingApi.Commands.Pause, callId, controlId), cancellationToken);

    public Task ResumeAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        Run(new FakeRequest(CallingApi.Commands.Resume, callId, controlId), cancellationToken);

    public Task StopAsync(string callId, string controlId, CancellationToken cancellationToken) =>
        Run(new FakeRequest(CallingApi.Commands.Stop, callId, controlId), cancellationToken);

    public Task SetVolumeAsync(string callId, string controlId, double volume, CancellationToken cancellationToken) =>
        Run(new FakeRequest(CallingApi.Commands.Volume, callId, controlId, volume), cancellationToken);

    /// <summary>What <see cref="CallingApi"/> throws for an error status: 404 on a play is the call gone; a 5xx may have been applied.</summary>
    public static CallingApiException Error(FakeRequest r, int status, string message = "error") => status == 404 && r.Command == CallingApi.Commands.Play
        ? new CallGoneException(r.Command, r.CallId, r.ControlId, 404, "Not Found", null)
        : new CallingApiException(r.Command, r.CallId, r.ControlId, status, message, null, null, CallingApiException.IsTransientStatus(status))
        {
            MayHaveBeenApplied = CallingApiException.IsAmbiguousStatus(status),
        };

    private async Task Run(FakeRequest request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _requests.Add(request);
        }

        var now = _inFlight.AddOrUpdate(request.CallId, 1, (_, n) => n + 1);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlightPerCall)) && Interlocked.CompareExchange(ref _maxInFlightPerCall, now, max) != max)
        {
        }

        try
        {
            await (RespondCancellable is { } cancellable ? cancellable(request, cancellationToken) : Respond(request)).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.AddOrUpdate(request.CallId, 0, (_, n) => n - 1);
        }
    }
}

/// <summary>Answers requests only when the test releases them, one by one.</summary>
public sealed class RequestGate
{
    private readonly ConcurrentQueue<(FakeRequest Request, TaskCompletionSource Done)> _pending = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public Task Respond(FakeRequest request)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Enqueue((request, done));
        _arrived.Release();
        return done.Task;
    }

    /// <summary>Waits for the next request to arrive and returns it with its completion source.</summary>
    public async Task<(FakeRequest Request, TaskCompletionSource Done)> NextAsync()
    {
        if (!await _arrived.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("No request arrived.");
        }

        _pending.TryDequeue(out var next);
        return next;
    }

    public int Waiting => _pending.Count;
}

/// <summary>
/// Holds the thread of the call actor that sends the request for one control id inside its send until released (that
/// request then stays on the wire until <see cref="Answer"/> completes); other requests succeed at once.
/// </summary>
public sealed class HeldSend(string controlId) : IDisposable
{
    private readonly ManualResetEventSlim _inSend = new();
    private readonly ManualResetEventSlim _release = new();

    /// <summary>Completes the held request.</summary>
    public TaskCompletionSource Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Respond(FakeRequest request)
    {
        if (request.ControlId != controlId)
        {
            return Task.CompletedTask;
        }

        _inSend.Set();
        _release.Wait(TimeSpan.FromSeconds(10));
        return Answer.Task;
    }

    /// <summary>Waits until the call actor is inside the held send.</summary>
    public void WaitUntilHeld() => Assert.True(_inSend.Wait(TimeSpan.FromSeconds(10)), "the held request was not sent");

    public void Release() => _release.Set();

    public void Dispose()
    {
        _release.Set();
        _inSend.Dispose();
        _release.Dispose();
    }
}
