using Playback.Hosting;
using Playback.Testing;

namespace Playback.Hosting.Tests;

/// <summary>Playback.Hosting's public API is the approved one (see <see cref="PublicApiSnapshot"/>).</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_api_matches_the_approved_snapshot() =>
        PublicApiSnapshot.AssertMatchesApproved(typeof(PlaybackOptions).Assembly, "Playback.Hosting.Tests");
}
