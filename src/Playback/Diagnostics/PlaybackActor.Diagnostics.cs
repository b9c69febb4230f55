using System.Diagnostics;
using Akka.Event;

namespace Playback;

/// <summary>
/// The call actor's share of the telemetry, kept apart from its rules: the trace of the command it is handling (current
/// while that command's request starts), each play's trace context (for the links of its webhooks' activities), and the
/// playbacks it counts as active.
/// </summary>
internal partial class PlaybackActor
{
    private Activity? _commandTrace;
    private Dictionary<string, ActivityContext>? _playTraces;
    private List<string>? _activePlaybacks; // a call has one or a few at a time: a list is about 130 B less than a set

    private PlaybackTelemetry? Telemetry => Settings.Telemetry;

    /// <summary>Called as a command is handled: its trace is the parent of the requests it starts; a play's is kept for its webhooks.</summary>
    private void TraceCommand(IPlaybackCommand? command)
    {
        _commandTrace = command?.Trace;
        if (command is StartPlay && command.Trace is { } trace && _playTraces?.ContainsKey(command.ControlId) != true)
        {
            // Kept after the play ends, for its late webhooks, as long as the state remembers the playback (its ended history).
            if (_playTraces is not null)
            {
                foreach (var id in _playTraces.Keys)
                {
                    if (!State.Playbacks.ContainsKey(id))
                    {
                        _playTraces.Remove(id); // allowed while enumerating a Dictionary (.NET Core 3.0 and later)
                    }
                }
            }

            (_playTraces ??= [])[command.ControlId] = PlaybackActivities.ContextOf(trace);
        }
    }

    /// <summary>The handled command's trace, made current while its request starts (so the HTTP request is its child).</summary>
    private Activity? CommandTrace()
    {
        // A request started while no caller waits (a queued play starting, a settling stop) belongs to no command's trace.
        if (_caller is null)
        {
            _commandTrace = null;
        }

        return _commandTrace;
    }

    private void WatchdogFired(string controlId)
    {
        if (Telemetry is { } telemetry)
        {
            telemetry.WatchdogFired(controlId, CallId, Settings.StatusTimeout);
        }
        else
        {
            Log.Warning("Playback {0} on call {1} had no status for {2}; stopping it, then marking it failed.", controlId, CallId, Settings.StatusTimeout);
        }
    }

    private void CallGone(string? reason)
    {
        if (Telemetry is { } telemetry)
        {
            LogEvents.CallGone(telemetry.Logger, CallId, reason);
        }
        else
        {
            Log.Info("Call {0} is gone ({1}); ending its playbacks.", CallId, reason);
        }
    }

    private void TraceWebhook(PlayStatusReceived status)
    {
        if (status.Trace is { } webhook && _playTraces is not null && _playTraces.TryGetValue(status.ControlId, out var play))
        {
            PlaybackActivities.LinkToPlay(webhook, play);
        }
    }

    /// <summary>Counts a playback active from its first event until its terminal one.</summary>
    private void Published(PlaybackEvent e)
    {
        if (Telemetry is not { } telemetry)
        {
            return;
        }

        if (e.State.IsTerminal())
        {
            if (_activePlaybacks?.Remove(e.ControlId) == true)
            {
                telemetry.Metrics.Playbacks(-1);
                if (_activePlaybacks.Count == 0)
                {
                    _activePlaybacks = null; // an idle call keeps no list
                }
            }
        }
        else if (_activePlaybacks?.Contains(e.ControlId) != true)
        {
            (_activePlaybacks ??= new List<string>(1)).Add(e.ControlId);
            telemetry.Metrics.Playbacks(1);
        }
    }

    /// <summary>The playbacks of a stopped actor are no longer counted as active here.</summary>
    private void TelemetryStopped()
    {
        if (_activePlaybacks is { Count: > 0 } active)
        {
            Telemetry?.Metrics.Playbacks(-active.Count);
            active.Clear();
        }
    }
}
