namespace Streaming.Consumer.Processors;

/// <summary>Computes h₀ = SHA-256(data), hᵢ₊₁ = SHA-256(hᵢ) with state reused across calls (one per slot).</summary>
internal interface ISha256Chain : IDisposable
{
    /// <summary>Writes the <paramref name="rounds"/>-th hash (rounds ≥ 1) of <paramref name="data"/> to the
    /// 32-byte <paramref name="digest"/>.</summary>
    void Compute(ReadOnlySpan<byte> data, int rounds, Span<byte> digest);
}
