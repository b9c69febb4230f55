using Xunit.Sdk;

namespace Playback.Hosting.Tests;

/// <summary>Retries an assertion until it holds or the patience runs out (then the last failure is rethrown).</summary>
internal static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static async Task AssertAsync(Action assertion, TimeSpan? patience = null)
    {
        using var cts = new CancellationTokenSource(patience ?? Patience);
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (XunitException) when (!cts.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }
}
