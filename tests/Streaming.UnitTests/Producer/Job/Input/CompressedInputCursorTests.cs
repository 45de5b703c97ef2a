using System.IO.Compression;
using CsCheck;
using Microsoft.Win32.SafeHandles;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Input;
using ZstdSharp;

namespace Streaming.UnitTests.Producer.Job.Input;

/// <summary>A compressed input is cut into exactly the batches of its decompressed bytes, from the start or from any
/// batch's start (resume and retransmission), however its members or frames split the lines.</summary>
public sealed class CompressedInputCursorTests : IDisposable
{
    private static readonly CutSettings s_settings = new(BatchLines: 7, BatchBytes: 200, MaxLineBytes: 64);
    private readonly string _folder = Directory.CreateTempSubdirectory("compressed-cursor-").FullName;

    [Fact]
    public async Task OpenAsync_CompressedInSeveralParts_CutsTheBatchesOfTheDecompressedBytesFromAnyBatchStart()
    {
        var content = Gen.Byte[0, 255].Select(b => b < 40 ? (byte)'\n' : b).Array[0, 3000];
        await Gen.Select(content, Gen.Int[1, 4], Gen.Bool).SampleAsync(async (bytes, parts, zstd) =>
        {
            var path = Path.Combine(_folder, Guid.NewGuid().ToString("N"));
            await File.WriteAllBytesAsync(path, zstd ? Zstd(bytes, parts) : Gzip(bytes, parts));
            var expected = await DrainAsync(new BatchCutter(new MemoryStream(bytes), s_settings, Guid.Empty, 0, 0, 1).CutAsync);

            var fromStart = await CutFileAsync(path, 0, 0, 1);

            Assert.Equal(Bodies(expected), Bodies(fromStart));
            foreach (var batch in expected)
            {
                var resumed = await CutFileAsync(path, batch.StartOffset, batch.Sequence, batch.FirstLine);
                Assert.Equal(Bodies(expected.Where(b => b.Sequence >= batch.Sequence)), Bodies(resumed));
            }
        }, iter: 60);
    }

    [Theory]
    [InlineData(new byte[] { 0x1f, 0x8b, 8, 0 }, "Gzip")]
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0 }, "Zstd")]
    [InlineData(new byte[] { 0x5e, 0x2a, 0x4d, 0x18, 0 }, "Zstd")]
    [InlineData(new byte[] { 0x1f, (byte)'a', (byte)'\n' }, "None")]
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f }, "None")]
    [InlineData(new byte[] { 0x1f }, "None")]
    [InlineData(new byte[0], "None")]
    public void Detect_FirstBytes_TellTheCompressionWhateverTheName(byte[] head, string expected)
    {
        var path = Path.Combine(_folder, "input.txt");
        File.WriteAllBytes(path, head);
        using SafeFileHandle handle = File.OpenHandle(path);

        Assert.Equal(expected, InputCompressionDetector.Detect(handle).ToString());
    }

    private static List<byte[]> Bodies(IEnumerable<CutBatch> batches) => [.. batches.Select(b => b.Body.ToArray())];

    private static async Task<List<CutBatch>> CutFileAsync(string path, long offset, long sequence, long firstLine)
    {
        await using var cursor = await InputCursor.OpenAsync(
            path, s_settings, Guid.Empty, offset, sequence, firstLine, onCut: null, CancellationToken.None);
        return await DrainAsync(cursor.CutAsync);
    }

    private static async Task<List<CutBatch>> DrainAsync(Func<MessageWriter, CancellationToken, ValueTask<CutBatch?>> cut)
    {
        using var writer = new MessageWriter(256);
        var batches = new List<CutBatch>();
        while (await cut(writer, CancellationToken.None) is { } batch)
        {
            batches.Add(batch with { Body = batch.Body.ToArray() });
        }
        return batches;
    }

    private static byte[] Gzip(byte[] bytes, int parts) => [.. Split(bytes, parts).SelectMany(part =>
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
        {
            gzip.Write(part);
        }
        return compressed.ToArray();
    })];

    private static byte[] Zstd(byte[] bytes, int parts) => [.. Split(bytes, parts).SelectMany(part =>
    {
        using var compressor = new Compressor(1);
        return compressor.Wrap(part).ToArray();
    })];

    private static IEnumerable<byte[]> Split(byte[] bytes, int parts) =>
        Enumerable.Range(0, parts).Select(p => bytes[(bytes.Length * p / parts)..(bytes.Length * (p + 1) / parts)]);

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
