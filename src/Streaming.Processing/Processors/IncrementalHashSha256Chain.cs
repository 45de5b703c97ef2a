using System.Security.Cryptography;

namespace Streaming.Consumer.Processors;

/// <summary>The portable chain: one <see cref="IncrementalHash"/> reused for every round of every line.</summary>
internal sealed class IncrementalHashSha256Chain : ISha256Chain
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public void Compute(ReadOnlySpan<byte> data, int rounds, Span<byte> digest)
    {
        _hash.AppendData(data);
        _hash.GetHashAndReset(digest);
        for (var round = 1; round < rounds; round++)
        {
            _hash.AppendData(digest);
            _hash.GetHashAndReset(digest);
        }
    }

    public void Dispose() => _hash.Dispose();
}
