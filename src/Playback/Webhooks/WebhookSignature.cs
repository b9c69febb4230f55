using System.Security.Cryptography;
using System.Text;

namespace Playback;

/// <summary>SignalWire webhook signatures: lowercase hex HMAC of the exact URL SignalWire called followed by the raw body bytes.</summary>
public static class WebhookSignature
{
    /// <summary>The SHA-256 signature header (preferred).</summary>
    public const string Sha256Header = "X-SignalWire-SHA256-Signature";

    /// <summary>The SHA-1 signature header (accepted).</summary>
    public const string Sha1Header = "X-SignalWire-Signature";

    /// <summary>Computes the <c>X-SignalWire-SHA256-Signature</c> value.</summary>
    /// <param name="signingKey">The signing key.</param>
    /// <param name="url">The full URL SignalWire called, query included.</param>
    /// <param name="body">The raw body bytes.</param>
    /// <returns>Lowercase hex.</returns>
    public static string ComputeSha256(string signingKey, string url, ReadOnlySpan<byte> body) =>
        Convert.ToHexStringLower(Hash(signingKey, url, body, sha256: true));

    /// <summary>Computes the <c>X-SignalWire-Signature</c> (SHA-1) value.</summary>
    /// <param name="signingKey">The signing key.</param>
    /// <param name="url">The full URL SignalWire called, query included.</param>
    /// <param name="body">The raw body bytes.</param>
    /// <returns>Lowercase hex.</returns>
    public static string ComputeSha1(string signingKey, string url, ReadOnlySpan<byte> body) =>
        Convert.ToHexStringLower(Hash(signingKey, url, body, sha256: false));

    /// <summary>Checks a request's signature in constant time: the SHA-256 header when present, otherwise the SHA-1 header.</summary>
    /// <param name="signingKey">The signing key.</param>
    /// <param name="url">The full URL SignalWire called (use the configured public URL behind proxies).</param>
    /// <param name="body">The raw body bytes.</param>
    /// <param name="sha256Signature">The <c>X-SignalWire-SHA256-Signature</c> value, or null.</param>
    /// <param name="sha1Signature">The <c>X-SignalWire-Signature</c> value, or null.</param>
    /// <returns>True when the checked signature matches; false when it does not or neither is present.</returns>
    public static bool IsValid(string signingKey, string url, ReadOnlySpan<byte> body, string? sha256Signature, string? sha1Signature)
    {
        ArgumentException.ThrowIfNullOrEmpty(signingKey);
        ArgumentNullException.ThrowIfNull(url);
        if (!string.IsNullOrWhiteSpace(sha256Signature))
        {
            return Matches(sha256Signature, Hash(signingKey, url, body, sha256: true));
        }

        if (!string.IsNullOrWhiteSpace(sha1Signature))
        {
            return Matches(sha1Signature, Hash(signingKey, url, body, sha256: false));
        }

        return false;
    }

    private static bool Matches(string header, byte[] expected)
    {
        var hex = header.Trim();
        if (hex.Length != expected.Length * 2)
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    private static byte[] Hash(string signingKey, string url, ReadOnlySpan<byte> body, bool sha256)
    {
        var key = Encoding.UTF8.GetBytes(signingKey);
        var urlBytes = Encoding.UTF8.GetBytes(url);
        using var hmac = IncrementalHash.CreateHMAC(sha256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA1, key);
        hmac.AppendData(urlBytes);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
