using System.Buffers;

namespace Streaming.Consumer.Processors;

/// <summary><c>sha256[:R]</c>: lowercase hex of SHA-256 applied R times; h₀ = the line's bytes, hᵢ₊₁ = SHA-256(hᵢ).</summary>
internal sealed class Sha256Processor : ILineProcessor, IDisposable
{
    public const string Name = "sha256";
    public const int MaxRounds = 1_000_000;

    private const int DigestLength = 32;

    private readonly int _rounds;
    private readonly ISha256Chain _chain;

    public Sha256Processor(int rounds, Sha256Backend backend)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rounds, MaxRounds);
        _rounds = rounds;
        _chain = backend == Sha256Backend.OpenSsl ? new OpenSslSha256Chain() : new IncrementalHashSha256Chain();
    }

    /// <summary>OpenSSL when this machine has it, otherwise the portable path.</summary>
    public static Sha256Backend PreferredBackend =>
        OpenSslSha256Chain.IsSupported ? Sha256Backend.OpenSsl : Sha256Backend.IncrementalHash;

    public static LineProcessorFactory? Define(string? argument, out string? error)
    {
        var rounds = 1;
        if (argument is not null && !ProcessorArgument.TryParseWholeNumber(argument, 1, MaxRounds, out rounds))
        {
            error = $"processor '{Name}' takes a repeat count from 1 to {MaxRounds}, got '{argument}'";
            return null;
        }
        error = null;
        var backend = PreferredBackend;
        return () => new Sha256Processor(rounds, backend);
    }

    public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        Span<byte> digest = stackalloc byte[DigestLength];
        _chain.Compute(line.Span, _rounds, digest);
        Convert.TryToHexStringLower(digest, output.GetSpan(DigestLength * 2), out var written);
        output.Advance(written);
        return ValueTask.CompletedTask;
    }

    public void Dispose() => _chain.Dispose();
}
