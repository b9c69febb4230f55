using Akka.Actor;

namespace Playback;

/// <summary>
/// A call actor's keyed single timers (the watchdog, the settle retry, a cluster entity's restore wait), with what
/// Akka's <c>IWithTimers</c> promises: a timer started again or cancelled never delivers the message it had already
/// sent. Without its cost on every call actor (a scheduler object and its dictionary per actor, two objects more per
/// timer): nothing is allocated until a timer starts, and an idle call has none (its idle check is not a keyed timer,
/// see <see cref="PlaybackActor.RestartIdleTimer"/>).
/// </summary>
internal sealed class CallTimers(IActorRef self, IScheduler scheduler)
{
    private Dictionary<string, (int Generation, ICancelable Task)>? _running;
    private int _generation;

    /// <summary>Sends <paramref name="message"/> to the actor after <paramref name="delay"/>, in place of what the timer <paramref name="key"/> would have sent.</summary>
    public void StartSingleTimer(string key, object message, TimeSpan delay)
    {
        Cancel(key);
        var generation = ++_generation;
        var task = scheduler.ScheduleTellOnceCancelable(delay, self, new Fired(this, key, generation, message), ActorRefs.NoSender);
        (_running ??= new(StringComparer.Ordinal))[key] = (generation, task);
    }

    /// <summary>The timer <paramref name="key"/> sends nothing (not even a message already on its way).</summary>
    public void Cancel(string key)
    {
        if (_running is not null && _running.Remove(key, out var timer))
        {
            timer.Task.Cancel();
        }
    }

    /// <summary>Every timer sends nothing more (the actor stops).</summary>
    public void CancelAll()
    {
        foreach (var (_, task) in _running?.Values ?? Enumerable.Empty<(int, ICancelable)>())
        {
            task.Cancel();
        }

        _running = null;
    }

    /// <summary>Whether <paramref name="fired"/> is still its timer's message: not started again or cancelled since it was sent.</summary>
    public bool IsCurrent(Fired fired) =>
        ReferenceEquals(fired.Owner, this) && _running is not null && _running.TryGetValue(fired.Key, out var timer) && timer.Generation == fired.Generation;

    /// <summary>The current message of a timer is being handled: the timer is no longer running.</summary>
    public void Delivered(Fired fired) => _running?.Remove(fired.Key);

    /// <summary>
    /// What a timer sends: unwrapped by the actor when current, dropped otherwise. <paramref name="Owner"/> tells a message
    /// sent by the timers of an earlier incarnation of the actor (before a restart; their generations start again) from its own.
    /// </summary>
    internal sealed record Fired(CallTimers Owner, string Key, int Generation, object Message);
}
