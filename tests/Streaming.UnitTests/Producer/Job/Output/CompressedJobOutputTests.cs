using System.IO.Compression;
using System.Text;
using CsCheck;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Output;
using ZstdSharp;

namespace Streaming.UnitTests.Producer.Job.Output;

/// <summary>A compressed output is one member or frame per batch written: cut back to any checkpoint and written on,
/// it decompresses to exactly the lines an uncompressed run writes.</summary>
public sealed class CompressedJobOutputTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("compressed-output-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static JobSummary Summary(long lines) =>
        new("in.txt", lines, 0, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0, 0, "trace", 0, 0, 0);

    [Fact]
    public async Task CompleteAsync_BatchesWithCrashesBackToCheckpoints_DecompressesToTheLinesWritten()
    {
        var batches = Gen.String[Gen.Char['a', 'z'], 0, 30].Array[0, 12].Array[1, 12];
        await Gen.Select(batches, Gen.Int[0, 3].Array[1, 12], Gen.Bool).SampleAsync(async (written, crashes, zstd) =>
        {
            var compression = zstd ? OutputCompression.Zstd : OutputCompression.Gzip;
            var files = new JobFiles(Path.Combine(_directory, Guid.NewGuid().ToString("N")), _directory, compression);
            OutputLengths? checkpoint = null;
            var checkpointed = 0;  // batches the checkpoint covers
            var crashed = new bool[written.Length];
            var output = JobOutput.Open(files, checkpoint);
            for (var batch = 0; batch < written.Length; batch++)
            {
                foreach (var line in written[batch])
                {
                    output.WriteLine(Encoding.UTF8.GetBytes(line));
                }
                output.Commit();
                var next = crashes[batch % crashes.Length];
                if (next == 0 && !crashed[batch])
                {
                    // Killed: the batches written past the checkpoint are cut back and written again.
                    crashed[batch] = true;
                    await output.DisposeAsync();
                    output = JobOutput.Open(files, checkpoint);
                    batch = checkpointed - 1;
                }
                else if (next == 1)
                {
                    checkpoint = output.Lengths;
                    checkpointed = batch + 1;
                }
            }
            var expected = string.Concat(written.SelectMany(b => b).Select(l => l + "\n"));
            var lines = written.Sum(b => b.Length);

            await output.CompleteAsync(Summary(lines), lines, CancellationToken.None);
            await output.DisposeAsync();

            Assert.EndsWith(compression == OutputCompression.Gzip ? ".out.gz" : ".out.zst", files.Output, StringComparison.Ordinal);
            Assert.Equal(expected, Encoding.UTF8.GetString(Decompress(File.ReadAllBytes(files.Output), compression)));
        }, iter: 80);
    }

    [Fact]
    public async Task Open_StartingOverInAnotherCompression_RemovesTheOtherPartialOutput()
    {
        var input = Path.Combine(_directory, "in.txt");
        var gzip = new JobFiles(input, _directory, OutputCompression.Gzip);
        await using (var first = JobOutput.Open(gzip, checkpoint: null))
        {
            first.WriteLine("a"u8);
            first.Commit();
        }
        var plain = new JobFiles(input, _directory);

        await using var second = JobOutput.Open(plain, checkpoint: null);

        Assert.False(File.Exists(JobFiles.Partial(gzip.Output)));
        Assert.True(File.Exists(JobFiles.Partial(plain.Output)));
    }

    [Fact]
    public async Task CompleteAsync_CompressedOutputDamagedOnDisk_FailsWithoutCompleting()
    {
        var files = new JobFiles(Path.Combine(_directory, "in.txt"), _directory, OutputCompression.Gzip);
        await using var output = JobOutput.Open(files, checkpoint: null);
        output.WriteLine(Encoding.UTF8.GetBytes(new string('x', 5000)));
        output.Commit();
        await using (var other = new FileStream(JobFiles.Partial(files.Output), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            other.Position = 12;
            await other.WriteAsync(new byte[] { 0xff, 0xff, 0xff, 0xff });
        }

        await Assert.ThrowsAsync<OutputMismatchException>(() => output.CompleteAsync(Summary(1), lines: 1, CancellationToken.None));

        Assert.False(File.Exists(files.Output));
    }

    private static byte[] Decompress(byte[] compressed, OutputCompression compression)
    {
        using var source = new MemoryStream(compressed);
        using Stream decompressor = compression == OutputCompression.Gzip
            ? new GZipStream(source, CompressionMode.Decompress)
            : new DecompressionStream(source);
        using var result = new MemoryStream();
        decompressor.CopyTo(result);
        return result.ToArray();
    }
}
