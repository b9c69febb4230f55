using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;

namespace Playback;

/// <summary>Where a setting can be set: each names it its own way.</summary>
internal enum SettingSource
{
    /// <summary>A <c>playback { … }</c> block: <c>playback.project-id</c>.</summary>
    Hocon,

    /// <summary>An environment variable: <c>SIGNALWIRE_PROJECT_ID</c> (only the credentials and URLs have one).</summary>
    Environment,

    /// <summary>Playback.Hosting's options (configuration section <c>Playback</c>): <c>Playback:ProjectId</c>.</summary>
    Hosting,
}

/// <summary>
/// Where each value of a <see cref="PlaybackSettings"/> came from, so that a validation error names the key the user
/// actually set (<c>Playback:ProjectId</c>, <c>SIGNALWIRE_PROJECT_ID</c>, <c>playback.project-id</c>) and, for a missing
/// value, the keys of the sources the settings were read from. A value changed in code after it was read (a <c>with</c>
/// expression) is named by its property. Metadata, not part of the settings' value: every instance equals every other, so
/// two settings with the same values are equal wherever they were read from.
/// </summary>
internal sealed partial class SettingOrigins : IEquatable<SettingOrigins>
{
    public static readonly SettingOrigins None = new(ImmutableDictionary<string, (SettingSource, object?)>.Empty, []);

    private static readonly ImmutableDictionary<string, string> EnvironmentVariables = new Dictionary<string, string>
    {
        [nameof(PlaybackSettings.ProjectId)] = "SIGNALWIRE_PROJECT_ID",
        [nameof(PlaybackSettings.ApiToken)] = "SIGNALWIRE_API_TOKEN",
        [nameof(PlaybackSettings.Space)] = "SIGNALWIRE_SPACE",
        [nameof(PlaybackSettings.SigningKey)] = "SIGNALWIRE_SIGNING_KEY",
        [nameof(PlaybackSettings.BaseUrl)] = "PLAYBACK_BASE_URL",
        [nameof(PlaybackSettings.DefaultStatusUrl)] = "PLAYBACK_STATUS_URL",
    }.ToImmutableDictionary();

    private readonly ImmutableDictionary<string, (SettingSource Source, object? Value)> _values;

    private SettingOrigins(ImmutableDictionary<string, (SettingSource, object?)> values, ImmutableArray<SettingSource> sources)
    {
        _values = values;
        Sources = sources;
    }

    /// <summary>The sources the settings were read from, the one that wins first.</summary>
    public ImmutableArray<SettingSource> Sources { get; }

    /// <summary>The key of <paramref name="setting"/> (a property name, <c>Resilience.MaxRetries</c> for nested ones) in <paramref name="source"/>; null when that source has none.</summary>
    public static string? KeyOf(SettingSource source, string setting) => source switch
    {
        SettingSource.Hocon when setting == nameof(PlaybackSettings.SignaturePolicy) => "playback.webhook-signature-policy",
        SettingSource.Hocon => "playback." + string.Join('.', setting.Split('.').Select(Kebab)),
        SettingSource.Environment => EnvironmentVariables.GetValueOrDefault(setting),
        SettingSource.Hosting => "Playback:" + setting.Replace('.', ':'),
        _ => null,
    };

    /// <summary>These origins with <paramref name="source"/> as the winning source and the given values read from it.</summary>
    public SettingOrigins Read(SettingSource source, IEnumerable<(string Setting, object? Value)> values)
    {
        var builder = _values.ToBuilder();
        foreach (var (setting, value) in values)
        {
            builder[setting] = (source, value);
        }

        return new SettingOrigins(builder.ToImmutable(), [source, .. Sources.Where(s => s != source)]);
    }

    /// <summary>The key to name in an error about the value <paramref name="current"/> of <paramref name="setting"/>: where it was read, or the property when it was set in code.</summary>
    public string Key(string setting, object? current)
    {
        var top = setting.Split('.')[0];
        return _values.TryGetValue(top, out var origin) && Equals(origin.Value, current) && KeyOf(origin.Source, setting) is { } key ? key : setting;
    }

    /// <summary>The keys to name for a missing value: each source's key, e.g. <c>Playback:ProjectId (or SIGNALWIRE_PROJECT_ID)</c>; the property without sources.</summary>
    public string Missing(string setting)
    {
        var keys = Sources.Select(s => KeyOf(s, setting)).OfType<string>().Distinct().ToList();
        return keys.Count switch
        {
            0 => setting,
            1 => keys[0],
            _ => $"{keys[0]} (or {string.Join(" or ", keys.Skip(1))})",
        };
    }

    /// <summary>
    /// A problem worded by a nested settings type (<c>Resilience.MaxRetries must …</c>, <c>Persistence.SnapshotEvery must …</c>)
    /// with its names replaced by the keys the values came from (<c>Playback:Resilience:MaxRetries</c>, <c>playback.persistence.snapshot-every</c>).
    /// </summary>
    public string Rename(string problem, string setting, object current)
    {
        var renamed = NestedName().Replace(problem, m => m.Groups[1].Value == setting ? Key(setting + "." + m.Groups[2].Value, current) : m.Value);
        return renamed.StartsWith(setting + " ", StringComparison.Ordinal) ? Key(setting, current) + renamed[setting.Length..] : renamed;
    }

    /// <summary>The problems <paramref name="validate"/> finds in the nested settings <paramref name="current"/>, each renamed (<see cref="Rename"/>).</summary>
    public IEnumerable<string> Problems(string setting, object current, Action<List<string>> validate)
    {
        var problems = new List<string>();
        validate(problems);
        return problems.Select(problem => Rename(problem, setting, current));
    }

    public bool Equals(SettingOrigins? other) => other is not null;

    public override bool Equals(object? obj) => obj is SettingOrigins;

    public override int GetHashCode() => 0;

    [GeneratedRegex(@"\b([A-Z][A-Za-z]+)\.([A-Za-z]+)", RegexOptions.CultureInvariant)]
    private static partial Regex NestedName();

    private static string Kebab(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }
}
