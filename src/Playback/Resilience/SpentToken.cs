using System.Threading.RateLimiting;

namespace Playback;

/// <summary>The lease Polly gets for a token <see cref="ResilientCallingApi"/>'s rate limiter took: disposing it gives nothing back (tokens return only with time).</summary>
internal sealed class SpentToken : RateLimitLease
{
    public static readonly SpentToken Instance = new();

    private SpentToken()
    {
    }

    public override bool IsAcquired => true;

    public override IEnumerable<string> MetadataNames => [];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = null;
        return false;
    }
}
