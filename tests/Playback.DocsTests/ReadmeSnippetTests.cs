namespace Playback.DocsTests;

/// <summary>Every C# block of README.md compiles (see <see cref="Snippets"/> for how blocks are compiled and chained).</summary>
public sealed class ReadmeSnippetTests
{
    private static readonly Lazy<IReadOnlyList<Snippet>> Readme = new(() => Snippets.Extract(File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"))));

    public static TheoryData<int> ReadmeBlocks => new(Readme.Value.Select(s => s.Line));

    [Theory]
    [MemberData(nameof(ReadmeBlocks))]
    public void The_README_block_at_this_line_compiles(int line)
    {
        var snippet = Readme.Value.Single(s => s.Line == line);
        var program = Snippets.Program(snippet, Readme.Value);

        var errors = Snippets.Compile(program);

        Assert.True(errors.Count == 0, $"README.md {snippet} does not compile:\n{string.Join('\n', errors)}\n\n{program}");
    }

    [Fact]
    public void The_README_has_csharp_blocks_and_each_prerequisite_exists()
    {
        Assert.True(Readme.Value.Count >= 10, $"only {Readme.Value.Count} csharp blocks found: is the extraction broken?");
        Assert.All(Readme.Value.Where(s => s.After is not null), s => Assert.Contains(Readme.Value, other => other.Name == s.After));
        Assert.Equal(Readme.Value.Count(s => s.Name is not null), Readme.Value.Where(s => s.Name is not null).Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public void A_block_that_does_not_compile_is_reported_with_its_error()
    {
        var markdown = "text\n\n<!-- snippet play -->\n```csharp\nusing Playback;\nvar handle = await PlaybackManager.Create(PlaybackSettings.FromEnvironment()).PlayAsync(args[0], [Media.Tts(\"Hi\")]);\n```\n\n" +
            "<!-- snippet control after play -->\n   ```csharp\n   await handle.PauseAsync();\n   handle.NoSuchMember();\n   ```\n";
        var snippets = Snippets.Extract(markdown);

        Assert.Empty(Snippets.Compile(Snippets.Program(snippets[0], snippets)));
        var error = Assert.Single(Snippets.Compile(Snippets.Program(snippets[1], snippets)));
        Assert.Equal("CS1061", error.Id); // 'PlaybackHandle' does not contain a definition for 'NoSuchMember'
    }

    [Fact]
    public void Playback_namespaces_are_not_implicit_so_a_block_must_write_its_usings()
    {
        Assert.NotEmpty(Snippets.Compile("var media = Media.Tts(\"Hi\");"));
        Assert.Empty(Snippets.Compile("using Playback;\nvar media = Media.Tts(\"Hi\");"));
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Playback.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Playback.sln not found above " + AppContext.BaseDirectory);
    }
}
