using PublicApiGenerator;

namespace Playback.Tests;

/// <summary>
/// The public API is a contract users code against: any change to it must be deliberate. When this fails, review the
/// difference; if the change is intended, copy Playback.received.txt over Playback.approved.txt.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_api_matches_the_approved_snapshot()
    {
        var api = typeof(PlaybackManager).Assembly.GeneratePublicApi(new ApiGeneratorOptions { ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"] })
            .ReplaceLineEndings("\n");
        var folder = Path.Combine(FindRepositoryRoot(), "tests", "Playback.Tests", "PublicApi");
        var approvedPath = Path.Combine(folder, "Playback.approved.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        if (api != approved)
        {
            File.WriteAllText(Path.Combine(folder, "Playback.received.txt"), api);
        }

        Assert.Equal(approved, api);
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Playback.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Playback.sln not found above " + AppContext.BaseDirectory);
    }
}
