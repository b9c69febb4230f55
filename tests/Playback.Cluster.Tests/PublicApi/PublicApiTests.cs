using Playback.Testing;

namespace Playback.Cluster.Tests;

/// <summary>Playback.Cluster's public API is the approved one (see <see cref="PublicApiSnapshot"/>).</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_api_matches_the_approved_snapshot() =>
        PublicApiSnapshot.AssertMatchesApproved(typeof(PlaybackCluster).Assembly, "Playback.Cluster.Tests");
}
