using System.Buffers.Binary;
using K4os.Compression.LZ4;
using ZstdSharp;

namespace Streaming.Bench.BrokerLimit;

/// <summary>How the probe's bodies travel: as they are, or compressed (<c>--codec zstd|lz4</c>) by the producer,
/// decompressed and compressed again by a consumer (as a consumer that computes its result would), and decompressed by
/// the producer before it writes. What the broker's ceiling becomes when fewer bytes go through it, and what the codec
/// costs the clients' cores.</summary>
internal enum ProbeCodec
{
    None,
    Zstd,
    Lz4,
}

internal static class ProbeCodecs
{
    private const int ZstdLevel = 1;
    private const int SizeBytes = 4;

    [ThreadStatic] private static Compressor? s_compressor;
    [ThreadStatic] private static Decompressor? s_decompressor;

    public static ProbeCodec Parse(string name) => name switch
    {
        "none" => ProbeCodec.None,
        "zstd" => ProbeCodec.Zstd,
        "lz4" => ProbeCodec.Lz4,
        _ => throw new FormatException($"unknown codec '{name}' (none, zstd, lz4)"),
    };

    /// <summary>The message: <paramref name="prefix"/> as it is, then <paramref name="data"/> in the codec.</summary>
    public static ReadOnlyMemory<byte> Encode(this ProbeCodec codec, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> data)
    {
        switch (codec)
        {
            case ProbeCodec.Zstd:
                {
                    s_compressor ??= new Compressor(ZstdLevel);
                    var buffer = new byte[prefix.Length + Compressor.GetCompressBound(data.Length)];
                    prefix.CopyTo(buffer);
                    return buffer.AsMemory(0, prefix.Length + s_compressor.Wrap(data, buffer.AsSpan(prefix.Length)));
                }
            case ProbeCodec.Lz4:
                {
                    var buffer = new byte[prefix.Length + SizeBytes + LZ4Codec.MaximumOutputSize(data.Length)];
                    prefix.CopyTo(buffer);
                    BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(prefix.Length), data.Length);
                    var written = LZ4Codec.Encode(data, buffer.AsSpan(prefix.Length + SizeBytes), LZ4Level.L00_FAST);
                    return buffer.AsMemory(0, prefix.Length + SizeBytes + written);
                }
            default:
                {
                    var buffer = new byte[prefix.Length + data.Length];
                    prefix.CopyTo(buffer);
                    data.CopyTo(buffer.AsSpan(prefix.Length));
                    return buffer;
                }
        }
    }

    public static ReadOnlyMemory<byte> Decode(this ProbeCodec codec, ReadOnlyMemory<byte> encoded)
    {
        switch (codec)
        {
            case ProbeCodec.Zstd:
                {
                    s_decompressor ??= new Decompressor();
                    var buffer = new byte[checked((int)Decompressor.GetDecompressedSize(encoded.Span))];
                    return s_decompressor.Unwrap(encoded.Span, buffer) == buffer.Length ? buffer : throw new InvalidDataException("short zstd frame");
                }
            case ProbeCodec.Lz4:
                {
                    var buffer = new byte[BinaryPrimitives.ReadInt32LittleEndian(encoded.Span)];
                    return LZ4Codec.Decode(encoded.Span[SizeBytes..], buffer) == buffer.Length ? buffer : throw new InvalidDataException("short lz4 block");
                }
            default:
                return encoded;
        }
    }
}
