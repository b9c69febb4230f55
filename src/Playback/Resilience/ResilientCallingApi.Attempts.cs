using System.Diagnostics;
using Polly;

namespace Playback;

/// <summary>A command's attempts, the pipeline's state (no closure per command).</summary>
internal sealed partial class ResilientCallingApi
{
    /// <summary>One command's attempts through the pipeline: what the retries and the final failure need to know.</summary>
    private sealed class Attempts(ResilientCallingApi owner, string command, string callId, string controlId, Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        private readonly bool _settles = command is CallingApi.Commands.Play or CallingApi.Commands.Stop;
        private readonly Activity? _trace = PlaybackActivities.Outgoing; // read now, on the caller's thread: the attempts may run on others

        /// <summary>Attempts made so far.</summary>
        public int Count { get; private set; }

        /// <summary>An attempt got no answer or a 5xx: the server may have acted.</summary>
        public bool Ambiguous { get; private set; }

        /// <summary>The last attempt's error.</summary>
        public CallingApiException? Last { get; private set; }

        /// <summary>One attempt; never throws (Polly's outcome callbacks must not): every failure is the outcome's exception.</summary>
        public async ValueTask<Outcome<bool>> AttemptAsync(CancellationToken ct)
        {
            try
            {
                if (Count++ > 0 && Ambiguous && _settles && owner.Evidence?.Landed(callId, controlId) == true)
                {
                    // A webhook proved an earlier attempt landed: a retry could only be refused, or start the media again.
                    return Outcome.FromException<bool>(new CallingApiException(command, callId, controlId, Last?.StatusCode, "not retried: a webhook for this control id shows an earlier attempt landed", null, Last?.RequestId, isTransient: false)
                    {
                        MayHaveBeenApplied = true,
                    });
                }

                if (Count > 1)
                {
                    owner.Telemetry?.Metrics.Retry(CommandOutcome.CommandTag(command));
                }

                Task attempt;
                using (PlaybackActivities.Resume(_trace))
                {
                    attempt = call(ct);
                }

                await attempt.ConfigureAwait(false);
                return Outcome.FromResult(true);
            }
            catch (CallingApiException e)
            {
                Ambiguous |= e.MayHaveBeenApplied;
                Last = e;
                // A final answer to a retry after an attempt whose outcome is unknown says nothing certain about that
                // attempt (whatever its wording), so the caller must settle it.
                return Outcome.FromException<bool>(Ambiguous && !e.IsTransient ? e.AsMaybeApplied() : e);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                // The attempt (or the whole command) timed out while the request was out: it may have landed.
                Ambiguous = true;
                return Outcome.FromException<bool>(e);
            }
            catch (Exception e)
            {
                return Outcome.FromException<bool>(e); // the caller's cancellation, or a failure that is not the API's
            }
        }
    }
}
