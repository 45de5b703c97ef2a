using System.IO.Compression;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Streaming.IntegrationTests.Compression;

/// <summary>Compressed inputs as the field makes them: several gzip members or zstd frames concatenated (logrotate,
/// <c>cat a.gz b.gz</c>, <c>zstd</c>'s default checksum), cut mid-line so that lines span members.</summary>
internal static class CompressedContent
{
    public static byte[] Gzip(byte[] content, int members) =>
        [.. Parts(content, members).SelectMany(part =>
        {
            var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
            {
                gzip.Write(part);
            }
            return compressed.ToArray();
        })];

    public static byte[] Zstd(byte[] content, int frames) =>
        [.. Parts(content, frames).SelectMany(part =>
        {
            using var compressor = new Compressor(3);
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            return compressor.Wrap(part).ToArray();
        })];

    public static byte[] Compress(string format, byte[] content, int parts) =>
        format == "gzip" ? Gzip(content, parts) : Zstd(content, parts);

    /// <summary>The first <paramref name="share"/> of the bytes: a download or a copy cut short.</summary>
    public static byte[] Truncated(byte[] compressed, double share) => compressed[..(int)(compressed.Length * share)];

    /// <summary>Eight bytes in the middle overwritten: a bad disk block or a broken transfer.</summary>
    public static byte[] Corrupted(byte[] compressed)
    {
        var damaged = compressed.ToArray();
        for (var i = 0; i < 8; i++)
        {
            damaged[damaged.Length / 2 + i] ^= 0x5a;
        }
        return damaged;
    }

    private static IEnumerable<byte[]> Parts(byte[] content, int parts)
    {
        var start = 0;
        for (var part = 1; part <= parts; part++)
        {
            var end = part == parts ? content.Length : content.Length * part / parts + 3;
            yield return content[start..end];
            start = end;
        }
    }
}
