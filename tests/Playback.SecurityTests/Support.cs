using System.Globalization;
using System.Text;

namespace Playback.SecurityTests;

/// <summary>Small helpers shared by the tests: waiting on a condition, printing generated values.</summary>
internal static class Support
{
    /// <summary>How long a test waits for something that should happen at once (a generous bound, never an assertion on timing).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Polls a condition until it holds or <see cref="Patience"/> runs out.</summary>
    public static Task EventuallyAsync(Func<bool> condition, string what) => Eventually.TrueAsync(condition, what, Patience);

    /// <summary>A string with every non-printable-ASCII character shown as an escape, so that a failing case can be read and re-typed.</summary>
    public static string Show(string? s)
    {
        if (s is null)
        {
            return "null";
        }

        var b = new StringBuilder("\"");
        foreach (var c in s)
        {
            b.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c.ToString() : $"\\u{(int)c:x4}");
        }

        return b.Append('"').ToString();
    }

    public static string Show(double? d) => d is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "null";

    public static string Show(int? i) => i?.ToString(CultureInfo.InvariantCulture) ?? "null";

    public static string Show(Uri? u) => u is null ? "null" : (u.IsAbsoluteUri ? "abs:" : "rel:") + Show(u.OriginalString);

    public static string Show<T>(T? e)
        where T : struct, Enum => e is { } v ? $"({typeof(T).Name}){Convert.ToInt32(v, CultureInfo.InvariantCulture)}" : "null";
}
