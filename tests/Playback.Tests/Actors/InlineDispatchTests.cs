using System.Net;
using Flurl.Http;
using Xunit;
using Xunit.Abstractions;

namespace Playback.Tests;

/// <summary>
/// Where a manager's call actors run (README, "Where the actors run"): a command to a running call on the caller's
/// thread-pool thread; the answer of Playback's own HTTP client where it arrives; never where another
/// <see cref="ICallingApi"/> completes its task; nowhere inline when the ActorSystem's config defines the dispatcher.
/// </summary>
public sealed class InlineDispatchTests(ITestOutputHelper output) : PlaybackSpec(output)
{
    [Fact]
    public async Task A_command_to_a_running_call_reaches_the_api_on_the_callers_thread_before_the_call_returns_without_its_async_locals()
    {
        await using var manager = CreateManager();
        var sent = await SecondCommandsAsync(manager, Api, stopAtTheFirstOnTheCallersThread: true);

        var (_, _, local) = Assert.Single(sent, s => s.Caller == s.Api);
        Assert.Null(local);
    }

    [Fact]
    public async Task The_answer_of_another_calling_api_does_not_run_the_call_actor_where_it_completes()
    {
        using var volumeSent = new ManualResetEventSlim();
        using var pauseSent = new ManualResetEventSlim();
        var held = new TaskCompletionSource();
        var pauseThread = 0;
        await using var manager = CreateManager();
        var handle = await Within10s(manager.PlayAsync("call-1", Hello));
        Api.Respond = r =>
        {
            if (r.Command == CallingApi.Commands.Volume)
            {
                volumeSent.Set();
                return held.Task;
            }

            pauseThread = Environment.CurrentManagedThreadId;
            pauseSent.Set();
            return Task.CompletedTask;
        };
        var volume = manager.SetVolumeAsync("call-1", handle.ControlId, 3);
        Assert.True(volumeSent.Wait(TimeSpan.FromSeconds(10)));
        var pause = manager.PauseAsync("call-1", handle.ControlId); // waits behind the volume change in the call's actor
        await Task.Delay(50); // the pause handled by the call's actor (not still on a pool thread that would take the answer too)

        var answering = await Task.Run(() =>
        {
            held.SetResult();
            Assert.True(pauseSent.Wait(TimeSpan.FromSeconds(10))); // this thread blocks: only another one can send it
            return Environment.CurrentManagedThreadId;
        });
        await Within10s(Task.WhenAll(volume, pause));

        Assert.NotEqual(answering, pauseThread);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_answer_of_playbacks_own_client_runs_the_call_actor_where_it_arrives_which_sends_the_next_queued_request_there(bool behindTheResiliencePipeline)
    {
        var handler = new HoldingHandler();
        var settings = Settings with { ProjectId = "proj", ApiToken = "token-xyz", BaseUrl = new Uri("http://127.0.0.1:9/") };
        using var client = new FlurlClient(new HttpClient(handler), settings.BaseUrl!.AbsoluteUri);
        ICallingApi api = new CallingApi(settings, client);
        using var resilient = new ResilientCallingApi(api, settings.Resilience, settings.RequestTimeout); // Playback's default client
        await using var manager = PlaybackManager.Create(Sys, settings, behindTheResiliencePipeline ? resilient : api);
        var handle = await Within10s(manager.PlayAsync("call-1", Hello));

        // Tried a few times: the pause must be waiting in the call's actor (not still on its way) when the answer comes.
        var rounds = new List<(int Answering, int PauseThread, bool SentBeforeReturn)>();
        for (var round = 0; round < 5 && !rounds.Exists(r => r.SentBeforeReturn); round++)
        {
            handler.HoldNext();
            var volume = manager.SetVolumeAsync("call-1", handle.ControlId, round);
            Assert.True(handler.Held.Wait(TimeSpan.FromSeconds(10)));
            var pause = round % 2 == 0 ? manager.PauseAsync("call-1", handle.ControlId) : manager.ResumeAsync("call-1", handle.ControlId);
            await Task.Delay(50); // the pause handled by the call's actor, which waits for the volume change's answer

            var (answering, sentBeforeReturn) = await Task.Run(() =>
            {
                var before = handler.Count;
                handler.Release();
                return (Environment.CurrentManagedThreadId, handler.Count == before + 1);
            });
            await Within10s(Task.WhenAll(volume, pause));
            rounds.Add((answering, handler.LastThread, sentBeforeReturn));
        }

        var inline = rounds.Find(r => r.SentBeforeReturn);
        Assert.True(inline != default, "the queued command was never sent while the volume change's answer was delivered");
        Assert.Equal(inline.Answering, inline.PauseThread);
    }

    /// <summary>
    /// Plays on call-1, then sends volume commands, each from a thread-pool thread that blocks right after the call until
    /// the API has it (a command that did not run inline is sent by another thread): the caller's thread, the API's, and
    /// the caller's async local as the API saw it, per command.
    /// </summary>
    internal static async Task<List<(int Caller, int Api, string? Local)>> SecondCommandsAsync(PlaybackManager manager, FakeCallingApi api, bool stopAtTheFirstOnTheCallersThread)
    {
        var handle = await Within10s(manager.PlayAsync("call-1", Hello));
        var sent = new List<(int Caller, int Api, string? Local)>();
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var reached = new ManualResetEventSlim();
            var seen = (Thread: 0, Local: (string?)null);
            api.Respond = r =>
            {
                if (r.Command == CallingApi.Commands.Volume)
                {
                    seen = (Environment.CurrentManagedThreadId, InlineExecutorTests.CallerLocal.Value);
                    reached.Set();
                }

                return Task.CompletedTask;
            };

            await Task.Delay(20); // the call's actor idle again, its route open
            var caller = await Task.Run(async () =>
            {
                await Task.Yield();
                var thread = Environment.CurrentManagedThreadId;
                InlineExecutorTests.CallerLocal.Value = "caller";
                var volume = manager.SetVolumeAsync("call-1", handle.ControlId, attempt);
                Assert.True(reached.Wait(TimeSpan.FromSeconds(10)), "the volume command never reached the API");
                await Within10s(volume);
                return thread;
            });
            sent.Add((caller, seen.Thread, seen.Local));
            if (stopAtTheFirstOnTheCallersThread && caller == seen.Thread)
            {
                break;
            }
        }

        return sent;
    }

    /// <summary>Answers 200 at once, or holds the next request until <see cref="Release"/>; records the thread each request was sent on.</summary>
    private sealed class HoldingHandler : HttpMessageHandler
    {
        private readonly object _gate = new();
        private TaskCompletionSource<HttpResponseMessage>? _hold;
        private int _count;
        private int _lastThread;

        public ManualResetEventSlim Held { get; } = new();

        public int Count => Volatile.Read(ref _count);

        public int LastThread => Volatile.Read(ref _lastThread);

        public void HoldNext()
        {
            Held.Reset();
            _hold = new TaskCompletionSource<HttpResponseMessage>();
        }

        public void Release() => _hold!.SetResult(Ok());

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                _count++;
                _lastThread = Environment.CurrentManagedThreadId;
                if (_hold is { Task.IsCompleted: false } hold && !Held.IsSet)
                {
                    Held.Set();
                    return hold.Task;
                }
            }

            return Task.FromResult(Ok());
        }

        private static HttpResponseMessage Ok() => new(HttpStatusCode.OK) { Content = new StringContent("{}") };
    }
}

/// <summary>A system whose config defines <c>playback-dispatcher</c> keeps it: here Akka's thread-pool executor, the opt-out.</summary>
public sealed class InlineDispatchOptOutTests(ITestOutputHelper output)
    : PlaybackSpec(output, "akka.loglevel = WARNING\nplayback-dispatcher { type = Dispatcher, executor = default-executor }")
{
    [Fact]
    public async Task With_the_dispatcher_configured_as_akkas_thread_pool_no_command_reaches_the_api_on_the_callers_thread()
    {
        await using var manager = CreateManager();
        var sent = await InlineDispatchTests.SecondCommandsAsync(manager, Api, stopAtTheFirstOnTheCallersThread: false);

        Assert.Equal(10, sent.Count);
        Assert.All(sent, s => Assert.NotEqual(s.Caller, s.Api));
    }
}
