using System.Collections.Immutable;

namespace Playback.Tests;

/// <summary>
/// Inputs, clock values and builders that drive a <see cref="CallPlaybacks"/> into each state through its public
/// inputs only (commands, request outcomes, webhooks). Every builder checks that it reached the state it names.
/// </summary>
internal static class Sm
{
    public const string CallId = "call-1";

    /// <summary>The error text of <see cref="ApiError"/>: a failed play's reason must contain it.</summary>
    public const string ServerMessage = "media[2].url is not reachable";

    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>When the builders' play is decided.</summary>
    public static readonly DateTimeOffset PlaySentAt = At(1);

    /// <summary>When the builders' play is acknowledged (its 2xx): the playback's LastAckAt while Playing.</summary>
    public static readonly DateTimeOffset PlayAckAt = At(10);

    /// <summary>When the builders' pause is acknowledged: the playback's LastAckAt while Paused.</summary>
    public static readonly DateTimeOffset PauseAckAt = At(20);

    /// <summary>A time after everything the builders did.</summary>
    public static readonly DateTimeOffset Later = At(100);

    public static readonly ImmutableArray<MediaItem> PlayMedia =
        [new TtsMedia("Please hold"), new SilenceMedia(1), new AudioMedia("https://example.com/hold.mp3")];

    public static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    public static StartPlay Play(string id, PlayConflict whenBusy = PlayConflict.Enqueue, double? volume = null) =>
        new(CallId, id, PlayMedia, new PlayOptions { ControlId = id, Volume = volume, Loop = 2, Language = "en-GB", WhenBusy = whenBusy });

    public static PausePlay Pause(string id) => new(CallId, id);

    public static ResumePlay Resume(string id) => new(CallId, id);

    public static StopPlay Stop(string id) => new(CallId, id);

    public static ChangeVolume Volume(string id, double db = 6) => new(CallId, id, db);

    /// <summary>A play status webhook; <paramref name="state"/> is the wire spelling, which must be one Playback knows (the parser ignores the rest).</summary>
    public static PlayStatusReceived Status(string id, string state, DateTimeOffset? timestamp) =>
        new(CallId, id, ReportedStates.TryParsePlay(state, out var reported) ? reported : throw new ArgumentException($"unknown play state {state}", nameof(state)), timestamp);

    public static CallStateReceived CallStateEvent(string state) => new(CallId, ReportedStates.ParseCall(state), Later);

    /// <summary>A final (non-retryable) API error, 422 by default; a 5xx is marked transient like the real client does.</summary>
    public static CallingApiException ApiError(string id, int status = 422, string message = ServerMessage) =>
        new(CallingApi.Commands.Play, CallId, id, status, message,
            [new CallingApiError("validation_error", "invalid_url", message, "media")], "req-1", CallingApiException.IsTransientStatus(status));

    public static CallGoneException NotFound(string id, string message = "call not found") =>
        new(CallingApi.Commands.Play, CallId, id, 404, message, "req-404");

    public static CallPlaybacks Idle() => new(CallId);

    /// <summary>A play for <paramref name="id"/> on an idle call, its calling.play in flight.</summary>
    public static CallPlaybacks Starting(string id) => Expect(Idle().Decide(Play(id), PlaySentAt).State, id, PlaybackState.Starting);

    /// <summary>Playing, play acknowledged at <see cref="PlayAckAt"/>, nothing in flight.</summary>
    public static CallPlaybacks Playing(string id) => Expect(Starting(id).RequestSucceeded(PlayAckAt).State, id, PlaybackState.Playing);

    /// <summary>Paused, pause acknowledged at <see cref="PauseAckAt"/>, nothing in flight.</summary>
    public static CallPlaybacks Paused(string id) =>
        Expect(Playing(id).Decide(Pause(id), At(15)).State.RequestSucceeded(PauseAckAt).State, id, PlaybackState.Paused);

    /// <summary>Played to the end (a <c>finished</c> webhook).</summary>
    public static CallPlaybacks Finished(string id) =>
        Expect(Playing(id).PlayStatus(Status(id, "finished", At(30)), At(30)).State, id, PlaybackState.Finished);

    /// <summary>Stopped by an acknowledged stop.</summary>
    public static CallPlaybacks Stopped(string id) =>
        Expect(Playing(id).Decide(Stop(id), At(25)).State.RequestSucceeded(At(26)).State, id, PlaybackState.Stopped);

    /// <summary>Failed: its play was refused with a 422.</summary>
    public static CallPlaybacks Failed(string id) =>
        Expect(Starting(id).RequestFailed(ApiError(id), At(2)).State, id, PlaybackState.Failed);

    /// <summary><paramref name="id"/> Failed because the call is gone.</summary>
    public static CallPlaybacks Gone(string id) =>
        Expect(Playing(id).CallGone("call gone: test", At(40)).State, id, PlaybackState.Failed);

    /// <summary>Enqueues a play (default <see cref="PlayConflict.Enqueue"/>) behind the call's current playback.</summary>
    public static CallPlaybacks Enqueue(CallPlaybacks state, string id) =>
        Expect(state.Decide(Play(id), At(12)).State, id, PlaybackState.Queued);

    /// <summary><paramref name="active"/> Playing, <paramref name="queued"/> waiting behind it.</summary>
    public static CallPlaybacks QueuedBehind(string active, string queued) => Enqueue(Playing(active), queued);

    public static CallPlaybacks Expect(CallPlaybacks state, string id, PlaybackState expected)
    {
        Assert.Equal(expected, state.StateOf(id));
        return state;
    }

    public static PlaybackState StateOf(this CallPlaybacks state, string id) => state.Playbacks[id].State;

    public static ImmutableArray<ApiRequest> Requests(this Transition t) => [.. t.Effects.OfType<SendRequest>().Select(s => s.Request)];

    public static ImmutableArray<PlaybackEvent> Events(this Transition t) => [.. t.Effects.OfType<Publish>().Select(p => p.Event)];

    /// <summary>The replies, as the caller gets them (the actor turns refusals into <see cref="CommandFailed"/> through <see cref="CommandErrors"/>).</summary>
    public static ImmutableArray<CommandReply> Replies(this Transition t) => [.. t.Effects.OfType<ReplyToCaller>().Select(r => CommandErrors.ForCaller(CallId, r.Reply))];

    public static ImmutableArray<EndCall> Ends(this Transition t) => [.. t.Effects.OfType<EndCall>()];

    /// <summary>The one reply, which must be a success.</summary>
    public static PlaybackSnapshot SucceededWith(this Transition t) =>
        Assert.IsType<CommandSucceeded>(Assert.Single(t.Replies())).Playback;

    /// <summary>The one reply, which must be a failure with exactly <typeparamref name="TError"/>.</summary>
    public static TError FailedWith<TError>(this Transition t)
        where TError : PlaybackException =>
        Assert.IsType<TError>(Assert.IsType<CommandFailed>(Assert.Single(t.Replies())).Error);

    /// <summary>The one request sent, which must be <paramref name="command"/> for <paramref name="id"/>.</summary>
    public static ApiRequest Sent(this Transition t, ApiCommand command, string id)
    {
        var request = Assert.Single(t.Requests());
        Assert.Equal(command, request.Command);
        Assert.Equal(id, request.ControlId);
        Assert.NotNull(t.State.InFlight);
        Assert.Equal(request, t.State.InFlight!.Request);
        return request;
    }

    /// <summary>The one request sent, <paramref name="command"/> for <paramref name="id"/>, with nothing published and no reply yet.</summary>
    public static ApiRequest SentOnly(this Transition t, ApiCommand command, string id)
    {
        var request = t.Sent(command, id);
        Assert.Empty(t.Events());
        Assert.Empty(t.Replies());
        return request;
    }

    /// <summary>The one event published, which must be a state change of <paramref name="id"/> from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static PlaybackEvent Published(this Transition t, string id, PlaybackState? from, PlaybackState to)
    {
        var e = Assert.Single(t.Events());
        AssertEvent(e, id, from, to);
        return e;
    }

    public static void AssertEvent(PlaybackEvent e, string id, PlaybackState? from, PlaybackState to, PlaybackChange change = PlaybackChange.State)
    {
        Assert.Equal(CallId, e.CallId);
        Assert.Equal(id, e.ControlId);
        Assert.Equal(from, e.PreviousState);
        Assert.Equal(to, e.State);
        Assert.Equal(change, e.Change);
    }

    /// <summary>Nothing sent, nothing published, and the state is the very one it was decided on.</summary>
    public static void LeftUnchanged(this Transition t, CallPlaybacks before)
    {
        Assert.Empty(t.Requests());
        Assert.Empty(t.Events());
        Assert.Same(before, t.State);
    }

    /// <summary>Exactly these events were published, in this order.</summary>
    public static void PublishedInOrder(this Transition t, params (string Id, PlaybackState? From, PlaybackState To)[] expected)
    {
        Assert.Equal(expected.Length, t.Events().Length);
        for (var i = 0; i < expected.Length; i++)
        {
            AssertEvent(t.Events()[i], expected[i].Id, expected[i].From, expected[i].To);
        }
    }

    /// <summary>
    /// Decides <paramref name="command"/> on <paramref name="before"/>; when it <paramref name="mustWait"/>, asserts that deciding it
    /// throws (the caller must wait for the flight to end) and returns null.
    /// </summary>
    public static Transition? DecideUnlessItMustWait(this CallPlaybacks before, IPlaybackCommand command, bool mustWait)
    {
        if (mustWait)
        {
            Assert.Throws<InvalidOperationException>(() => before.Decide(command, Later));
            return null;
        }

        return before.Decide(command, Later);
    }

    /// <summary>A webhook accepted with no effect at all: <paramref name="id"/> stays <paramref name="state"/>.</summary>
    public static void AcceptedWithoutEffect(this Transition t, string id, PlaybackState state)
    {
        Assert.Empty(t.Effects);
        Assert.Equal(WebhookStatus.Accepted, t.Webhook!.Status);
        Assert.Equal(state, t.State.StateOf(id));
    }

    /// <summary>The command failed with exactly <paramref name="error"/>: nothing published or sent, <paramref name="id"/> stays <paramref name="state"/>.</summary>
    public static void FailedKeeping(this Transition t, CallingApiException error, string id, PlaybackState state)
    {
        Assert.Empty(t.Events());
        Assert.Same(error, t.FailedWith<CallingApiException>());
        Assert.Equal(state, t.State.StateOf(id));
        t.NoRequest();
    }

    public static void NoRequest(this Transition t)
    {
        Assert.Empty(t.Requests());
        Assert.Null(t.State.InFlight);
    }
}
