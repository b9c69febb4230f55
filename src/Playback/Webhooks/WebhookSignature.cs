using System.Buffers;
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

    private const int Sha256Size = 32;
    private const int Sha1Size = 20;

    /// <summary>Each thread's HMACs for the last signing key it used: setting a key up costs more than hashing a webhook.</summary>
    [ThreadStatic]
    private static KeyedHmacs? t_hmacs;

    /// <summary>Computes the <c>X-SignalWire-SHA256-Signature</c> value.</summary>
    /// <param name="signingKey">The signing key.</param>
    /// <param name="url">The full URL SignalWire called, query included.</param>
    /// <param name="body">The raw body bytes.</param>
    /// <returns>Lowercase hex.</returns>
    public static string ComputeSha256(string signingKey, string url, ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[Sha256Size];
        Hash(signingKey, url, body, sha256: true, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Computes the <c>X-SignalWire-Signature</c> (SHA-1) value.</summary>
    /// <param name="signingKey">The signing key.</param>
    /// <param name="url">The full URL SignalWire called, query included.</param>
    /// <param name="body">The raw body bytes.</param>
    /// <returns>Lowercase hex.</returns>
    public static string ComputeSha1(string signingKey, string url, ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[Sha1Size];
        Hash(signingKey, url, body, sha256: false, hash);
        return Convert.ToHexStringLower(hash);
    }

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
        var sha256 = !string.IsNullOrWhiteSpace(sha256Signature);
        if (!sha256 && string.IsNullOrWhiteSpace(sha1Signature))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[sha256 ? Sha256Size : Sha1Size];
        Hash(signingKey, url, body, sha256, expected);
        return Matches(sha256 ? sha256Signature! : sha1Signature!, expected);
    }

    private static bool Matches(string header, ReadOnlySpan<byte> expected)
    {
        var hex = header.AsSpan().Trim();
        if (hex.Length != expected.Length * 2)
        {
            return false;
        }

        Span<byte> given = stackalloc byte[expected.Length];
        return Convert.FromHexString(hex, given, out _, out var written) == OperationStatus.Done
            && written == expected.Length
            && CryptographicOperations.FixedTimeEquals(given, expected);
    }

    private static void Hash(string signingKey, string url, ReadOnlySpan<byte> body, bool sha256, Span<byte> destination)
    {
        var hmacs = t_hmacs;
        if (hmacs is null || !string.Equals(hmacs.Key, signingKey, StringComparison.Ordinal))
        {
            hmacs?.Dispose();
            t_hmacs = hmacs = new KeyedHmacs(signingKey);
        }

        var hmac = hmacs.For(sha256);
        byte[]? rented = null;
        var urlLength = Encoding.UTF8.GetMaxByteCount(url.Length);
        var urlBytes = urlLength <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(urlLength));
        try
        {
            hmac.AppendData(urlBytes[..Encoding.UTF8.GetBytes(url, urlBytes)]);
            hmac.AppendData(body);
            hmac.GetHashAndReset(destination);
        }
        catch
        {
            // Whatever was appended must not leak into the next hash of this thread.
            t_hmacs = null;
            hmacs.Dispose();
            throw;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>A thread's HMAC-SHA256 and HMAC-SHA1 for one key, created on first use; reset after each hash.</summary>
    private sealed class KeyedHmacs(string key) : IDisposable
    {
        private IncrementalHash? _sha256;
        private IncrementalHash? _sha1;

        public string Key { get; } = key;

        public IncrementalHash For(bool sha256) => sha256
            ? _sha256 ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(Key))
            : _sha1 ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, Encoding.UTF8.GetBytes(Key));

        public void Dispose()
        {
            _sha256?.Dispose();
            _sha1?.Dispose();
        }
    }
}
