using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Playback.DocsTests;

/// <summary>One fenced <c>csharp</c> block of a Markdown file.</summary>
/// <param name="Line">The line of its opening fence (1-based), which names it in failures.</param>
/// <param name="Name">Its name, from a <c>&lt;!-- snippet NAME --&gt;</c> comment on the line before the fence.</param>
/// <param name="After">The named block it continues (<c>&lt;!-- snippet NAME after OTHER --&gt;</c>): compiled after that block's code.</param>
/// <param name="Code">The code, without the fence's indentation.</param>
public sealed record Snippet(int Line, string? Name, string? After, string Code)
{
    public override string ToString() => $"line {Line}{(Name is null ? string.Empty : " (" + Name + ")")}";
}

/// <summary>
/// Extracts and compiles README snippets. The rules (also what a README author must know):
/// <list type="bullet">
/// <item>Every fenced <c>```csharp</c> block is compiled as its own program of top-level statements, with the implicit
/// usings of a <c>Microsoft.NET.Sdk.Web</c> project (<see cref="ImplicitUsings"/>), nullable enabled, against the four
/// Playback assemblies, their dependencies and the ASP.NET Core shared framework. Playback's own namespaces are not
/// implicit: a block writes the <c>using Playback…;</c> lines a user needs.</item>
/// <item>A block that continues another one says so on the line before its fence: <c>&lt;!-- snippet NAME after OTHER --&gt;</c>;
/// it is compiled as OTHER's code (with OTHER's own prerequisites) followed by its own, usings first. A block others
/// continue names itself with <c>&lt;!-- snippet NAME --&gt;</c>.</item>
/// <item>Values a snippet only stands for (a call id) come from <c>args</c> or a visible declaration, never from hidden code.</item>
/// </list>
/// </summary>
public static partial class Snippets
{
    public static readonly ImmutableArray<string> ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray());

    [GeneratedRegex(@"^\s*<!--\s*snippet\s+(?<name>[\w-]+)(\s+after\s+(?<after>[\w-]+))?\s*-->\s*$")]
    private static partial Regex Annotation();

    [GeneratedRegex(@"^using\s+(static\s+)?[\w.]+(\s*=\s*[\w.<>]+)?\s*;\s*$")]
    private static partial Regex UsingDirective();

    /// <summary>The <c>csharp</c> blocks of a Markdown text, in order.</summary>
    public static IReadOnlyList<Snippet> Extract(string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var snippets = new List<Snippet>();
        for (var i = 0; i < lines.Length; i++)
        {
            var open = lines[i].TrimStart();
            if (open != "```csharp")
            {
                continue;
            }

            var indent = lines[i].Length - open.Length;
            var start = i;
            var code = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
            {
                code.Add(lines[i].Length >= indent && string.IsNullOrWhiteSpace(lines[i][..indent]) ? lines[i][indent..] : lines[i].TrimStart());
            }

            var annotation = start > 0 ? Annotation().Match(lines[start - 1]) : Match.Empty;
            snippets.Add(new Snippet(
                start + 1,
                annotation.Success ? annotation.Groups["name"].Value : null,
                annotation.Success && annotation.Groups["after"].Success ? annotation.Groups["after"].Value : null,
                string.Join('\n', code)));
        }

        return snippets;
    }

    /// <summary>The program a snippet is compiled as: its prerequisites' code and its own, using directives first.</summary>
    public static string Program(Snippet snippet, IReadOnlyList<Snippet> all)
    {
        var chain = new List<Snippet> { snippet };
        for (var after = snippet.After; after is not null;)
        {
            var previous = all.SingleOrDefault(s => s.Name == after)
                ?? throw new InvalidOperationException($"{snippet}: no snippet is named '{after}'");
            if (chain.Contains(previous))
            {
                throw new InvalidOperationException($"{snippet}: its prerequisites form a cycle");
            }

            chain.Insert(0, previous);
            after = previous.After;
        }

        var lines = chain.SelectMany(s => s.Code.Split('\n')).ToList();
        var usings = lines.Where(l => UsingDirective().IsMatch(l)).Distinct();
        return string.Join('\n', usings.Concat(lines.Where(l => !UsingDirective().IsMatch(l))));
    }

    /// <summary>Compiles a program of top-level statements; returns its errors (empty when it compiles).</summary>
    public static IReadOnlyList<Diagnostic> Compile(string program)
    {
        var globalUsings = string.Join('\n', ImplicitUsings.Select(u => $"global using global::{u};"));
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "ReadmeSnippet",
            [CSharpSyntaxTree.ParseText(globalUsings, parse, "GlobalUsings.cs"), CSharpSyntaxTree.ParseText(program, parse, "Snippet.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        return result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
    }
}
