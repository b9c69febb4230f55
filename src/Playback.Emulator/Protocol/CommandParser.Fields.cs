using System.Globalization;
using System.Text.Json;

namespace Playback.Emulator;

// The typed, key-tracking reads every part of the parser validates through.
internal sealed partial class CommandParser
{
    /// <summary>Typed reads of one JSON object that remember which keys were used, so the rest can be rejected.</summary>
    private sealed class Fields(JsonElement element, string prefix, List<ValidationError> errors)
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public JsonElement Element => element;

        public void Use(params string[] names) => _used.UnionWith(names);

        public string? String(string name, bool required = false, bool nonEmpty = false)
        {
            _used.Add(name);
            if (!TryGet(name, required, out var v))
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.String)
            {
                errors.Add(Invalid(prefix + name, "invalid_type", $"{prefix}{name} must be a string"));
                return null;
            }

            var s = v.GetString()!;
            if (nonEmpty && string.IsNullOrWhiteSpace(s))
            {
                errors.Add(Invalid(prefix + name, "blank", $"{prefix}{name} must not be empty"));
                return null;
            }

            return s;
        }

        public double? Number(string name, double min, double max, bool required = false)
        {
            _used.Add(name);
            if (!TryGet(name, required, out var v))
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
            {
                errors.Add(Invalid(prefix + name, "invalid_type", $"{prefix}{name} must be a number"));
                return null;
            }

            if (d < min || d > max)
            {
                var range = max == double.MaxValue ? "greater than 0" : $"between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}";
                errors.Add(Invalid(prefix + name, "out_of_range", $"{prefix}{name} must be {range}"));
                return null;
            }

            return d;
        }

        public int? Integer(string name, int min)
        {
            _used.Add(name);
            if (!TryGet(name, false, out var v))
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
            {
                errors.Add(Invalid(prefix + name, "invalid_type", $"{prefix}{name} must be an integer"));
                return null;
            }

            if (i < min)
            {
                errors.Add(Invalid(prefix + name, "out_of_range", $"{prefix}{name} must be at least {min}"));
                return null;
            }

            return i;
        }

        public string? HttpUrl(string name, bool required = false)
        {
            var s = String(name, required);
            if (s is null)
            {
                return null;
            }

            if (!Uri.TryCreate(s, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add(Invalid(prefix + name, "invalid_url", $"{prefix}{name} must be an absolute http or https URL"));
                return null;
            }

            return s;
        }

        public void RejectUnknown()
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            foreach (var property in element.EnumerateObject())
            {
                if (!_used.Contains(property.Name))
                {
                    errors.Add(Invalid(prefix + property.Name, "unknown_attribute", $"{prefix}{property.Name} is not a known attribute"));
                }
            }
        }

        private bool TryGet(string name, bool required, out JsonElement value)
        {
            value = default;
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    errors.Add(Invalid(prefix + name, "required", $"{prefix}{name} is required"));
                }

                return false;
            }

            return true;
        }
    }
}
