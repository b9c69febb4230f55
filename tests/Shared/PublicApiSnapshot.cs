using System.Reflection;
using PublicApiGenerator;

namespace Playback.Testing;

/// <summary>
/// The public API of a shipped assembly is a contract users code against: any change to it must be deliberate. Compiled
/// into each test project that guards one (linked from <c>tests/Shared</c>); the snapshots live in that project's
/// <c>PublicApi</c> folder. When an assertion fails, review the difference; if the change is intended, copy
/// <c>NAME.received.txt</c> over <c>NAME.approved.txt</c>.
/// </summary>
internal static class PublicApiSnapshot
{
    private static readonly ApiGeneratorOptions Options = new()
    {
        ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"],
    };

    /// <summary>Asserts that the assembly's public API is the approved one; writes the received one next to it when not.</summary>
    /// <param name="assembly">The shipped assembly.</param>
    /// <param name="testProject">The test project's folder name under <c>tests/</c>.</param>
    public static void AssertMatchesApproved(Assembly assembly, string testProject)
    {
        var name = assembly.GetName().Name!;
        var api = assembly.GeneratePublicApi(Options).ReplaceLineEndings("\n");
        var folder = Path.Combine(FindRepositoryRoot(), "tests", testProject, "PublicApi");
        var approvedPath = Path.Combine(folder, name + ".approved.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        var receivedPath = Path.Combine(folder, name + ".received.txt");
        if (api != approved)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(receivedPath, api);
        }
        else if (File.Exists(receivedPath))
        {
            File.Delete(receivedPath);
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
