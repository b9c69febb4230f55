using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Akka.Actor;

namespace Playback;

/// <summary>
/// The way around the call registry: the facade tells a command or a handed-off webhook straight to the call's actor
/// while the registry holds the call's route open, and through the registry otherwise (a call without an actor yet,
/// a passivating actor, or messages of the call still queued in the registry). One mailbox hop less per message, and
/// the registry no longer sees every message of every call.
/// <para>
/// What keeps it as safe as going through the registry, all under the route's lock:
/// <list type="bullet">
/// <item>the registry opens a route only when every message told through it for that route has been forwarded to the
/// actor (<see cref="CallRoute.Queued"/> is zero, nothing buffered, not passivating), so a message told straight
/// never overtakes an earlier one from the same sender that went through the registry;</item>
/// <item>the registry closes the route before it tells the actor <see cref="StopIfIdle"/>, so every message told
/// straight is in the actor's mailbox before it, as the passivation handshake needs; what comes later goes through
/// the registry, which buffers it for the actor or its successor.</item>
/// </list>
/// </para>
/// </summary>
internal sealed class CallRoutes
{
    private static readonly Func<string, CallRoute> NewRoute = static _ => new CallRoute();

    private readonly ConcurrentDictionary<string, CallRoute> _routes = new(StringComparer.Ordinal);

    /// <summary>Tells <paramref name="message"/> to its call's actor: straight when the route is open, through <paramref name="registry"/> otherwise.</summary>
    public void Send(IWithCallId message, IActorRef sender, IActorRef registry, bool inline = true)
    {
        while (true)
        {
            var route = _routes.GetOrAdd(message.CallId, NewRoute);
            // The call's actor may run on this thread (InlineExecutor), once the lock is released.
            using var scope = inline ? InlineExecutor.RunWoken(caller: true) : default;
            lock (route)
            {
                if (route.Removed)
                {
                    continue; // the registry dropped it between the lookup and the lock: take the current one
                }

                if (route.Direct is { } actor)
                {
                    actor.Tell(message, sender);
                    return;
                }

                route.Queued++;
            }

            registry.Tell(new QueuedMessage(message, route), sender);
            return;
        }
    }

    /// <summary>The calls whose actor runs, with their routes (the registry's thread only: it alone sets <see cref="CallRoute.Actor"/>).</summary>
    public IEnumerable<KeyValuePair<string, CallRoute>> Live => _routes.Where(static r => r.Value.Actor is not null);

    /// <summary>The route of <paramref name="callId"/> when its actor runs (the registry's thread only).</summary>
    public bool TryGetLive(string callId, [NotNullWhen(true)] out CallRoute? route)
    {
        if (_routes.TryGetValue(callId, out route) && route.Actor is not null)
        {
            return true;
        }

        route = null;
        return false;
    }

    /// <summary>The registry's route for <paramref name="callId"/>, created when missing.</summary>
    public CallRoute For(string callId) => _routes.GetOrAdd(callId, NewRoute);

    /// <summary>The registry took <paramref name="queued"/> out of its mailbox.</summary>
    public static void Arrived(QueuedMessage queued)
    {
        lock (queued.Route)
        {
            queued.Route.Queued--;
        }
    }

    /// <summary>Opens <paramref name="route"/> to its actor when nothing told through the registry is still on its way (the registry's thread).</summary>
    public static void TryOpen(CallRoute route)
    {
        lock (route)
        {
            if (route.Queued == 0 && !route.Removed)
            {
                route.Direct = route.Actor;
            }
        }
    }

    /// <summary>Closes <paramref name="route"/>: from now on its messages go through the registry.</summary>
    public static void Close(CallRoute route)
    {
        lock (route)
        {
            route.Direct = null;
        }
    }

    /// <summary>Drops <paramref name="route"/> (its call has no actor) unless messages told through the registry are still on their way.</summary>
    public void Forget(string callId, CallRoute route)
    {
        lock (route)
        {
            if (route.Queued == 0 && !route.Removed)
            {
                Drop(callId, route);
            }
        }
    }

    /// <summary>How many calls have a route (tests: none is kept for a call without an actor).</summary>
    internal int Count => _routes.Count;

    /// <summary>Whether <paramref name="callId"/>'s messages are told straight to its actor.</summary>
    internal bool IsOpen(string callId)
    {
        if (!_routes.TryGetValue(callId, out var route))
        {
            return false;
        }

        lock (route)
        {
            return route.Direct is not null;
        }
    }

    /// <summary>
    /// Closes every route and forgets its actor (the registry stops or restarts with its actors): senders go through the
    /// registry. A route with messages still queued in the registry's mailbox is kept, with its count, so that the
    /// restarted registry does not open it before they are routed (a later message told straight would overtake them).
    /// </summary>
    public void Clear()
    {
        foreach (var (callId, route) in _routes)
        {
            lock (route)
            {
                route.Direct = null;
                route.Actor = null;
                if (route.Queued == 0)
                {
                    Drop(callId, route);
                }
            }
        }
    }

    /// <summary>What the registry knew that must outlive a restart of it (with a store): whether the store's calls were listed, and the calls to recover on their next message.</summary>
    internal RegistryMemory Memory { get; } = new();

    /// <summary>Takes <paramref name="route"/> out of the table for good (under its lock): senders holding it take the current one.</summary>
    private void Drop(string callId, CallRoute route)
    {
        route.Direct = null;
        route.Removed = true;
        _routes.TryRemove(new KeyValuePair<string, CallRoute>(callId, route));
    }
}

/// <summary>
/// One call's route: the part shared with the senders (under its lock), and the call's actor for the registry (its
/// thread only). 40 B per call.
/// </summary>
internal sealed class CallRoute
{
    /// <summary>The actor told straight; null while the route is closed. Under the lock.</summary>
    public IActorRef? Direct { get; set; }

    /// <summary>Messages told through the registry on this route and not yet taken out of its mailbox. Under the lock.</summary>
    public int Queued { get; set; }

    /// <summary>No longer in the table; senders take the current route. Under the lock.</summary>
    public bool Removed { get; set; }

    /// <summary>The call's actor, null while it has none (the registry's thread only).</summary>
    public IActorRef? Actor { get; set; }
}

/// <summary>A message a sender told the registry on <paramref name="Route"/> while it was closed.</summary>
internal sealed record QueuedMessage(IWithCallId Message, CallRoute Route);

/// <summary>
/// What a call registry knows that its restart must not lose (with a store): whether the store's live calls have been
/// listed (the listing comes once), and the calls the store may hold live that have no actor, each started and recovered
/// by its next message, a webhook too. The registry's thread only.
/// </summary>
internal sealed class RegistryMemory
{
    public bool Listed { get; set; }

    /// <summary>The calls to recover that a stopped incarnation handed over; taken by the next one.</summary>
    public HashSet<string>? CallsToRecover { get; set; }
}
