namespace Playback.Testing;

/// <summary>Polls until something holds or the patience runs out: a deadline, never a sleep that hopes to be long enough.</summary>
public static class Eventually
{
    /// <summary>How long a test waits for something that should happen at once (a generous bound, never an assertion on timing).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>Retries an assertion until it passes; when the patience runs out its last failure is thrown.</summary>
    /// <param name="assertion">Throws while the condition does not hold.</param>
    /// <param name="patience">The longest wait (default <see cref="Patience"/>).</param>
    /// <returns>A task that completes once the assertion passed.</returns>
    public static Task AssertAsync(Action assertion, TimeSpan? patience = null) =>
        AssertAsync(() =>
        {
            assertion();
            return Task.CompletedTask;
        }, patience);

    /// <summary>Retries an asynchronous assertion until it passes; when the patience runs out its last failure is thrown.</summary>
    /// <param name="assertion">Throws (or faults) while the condition does not hold.</param>
    /// <param name="patience">The longest wait (default <see cref="Patience"/>).</param>
    /// <returns>A task that completes once the assertion passed.</returns>
    public static async Task AssertAsync(Func<Task> assertion, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (true)
        {
            try
            {
                await assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Polls a condition until it holds.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <param name="patience">The longest wait (default <see cref="Patience"/>).</param>
    /// <returns>A task that completes once the condition held.</returns>
    /// <exception cref="TimeoutException">The condition did not hold within the patience.</exception>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? patience = null)
    {
        var wait = patience ?? Patience;
        var deadline = DateTime.UtcNow + wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up after {wait.TotalSeconds} s waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }
}
