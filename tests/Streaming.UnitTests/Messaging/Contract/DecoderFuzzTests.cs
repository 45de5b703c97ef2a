using System.Buffers.Binary;
using System.Diagnostics;
using Streaming.Messaging.Contract;
using Xunit.Abstractions;

namespace Streaming.UnitTests.Messaging.Contract;

/// <summary>
/// Seeded mutations of valid batch and result messages — bit flips, truncations, insertions, deletions, and length and
/// count fields set huge — through both decoders: each one must decode into a well-formed message (every field in
/// bounds, every line inside the body) or throw <see cref="MessageFormatException"/>; never another exception, never
/// a hang, and never an allocation larger than the message plus a small fixed overhead (the decoded objects, or the
/// exception), measured per decode with <see cref="GC.GetAllocatedBytesForCurrentThread"/>.
/// </summary>
public sealed class DecoderFuzzTests(ITestOutputHelper output)
{
    private const int Mutations = 120_000;
    private const int MaxLineBytes = 64 * 1024;

    /// <summary>The decoded objects (header, index) or a MessageFormatException with its message and stack trace.</summary>
    private const int FixedOverheadBytes = 4096;

    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Decode_120000SeededMutations_DecodeWellFormedOrThrowMessageFormatExceptionWithinTheMessageSize()
    {
        var seed = Environment.GetEnvironmentVariable("STREAMING_FUZZ_SEED") is { } fixedSeed ? int.Parse(fixedSeed) : 20261128;
        output.WriteLine($"seed {seed} (set STREAMING_FUZZ_SEED to replay another)");
        var clock = Stopwatch.StartNew();
        var outcome = await Task.Run(() => Fuzz(seed)).WaitAsync(s_budget);

        output.WriteLine($"{Mutations:N0} mutations in {clock.Elapsed.TotalSeconds:0.0} s: {outcome.Decoded:N0} decoded, " +
                         $"{outcome.Rejected:N0} rejected, largest allocation {outcome.LargestExcess:N0} bytes over the message size");
        Assert.True(outcome.Rejected > Mutations / 2, "most mutations should be rejected; the mutator is not biting");
        Assert.True(outcome.Decoded > 1000, "some mutations (of line bytes) should still decode");
    }

    private static (int Decoded, int Rejected, long LargestExcess) Fuzz(int seed)
    {
        var random = new Random(seed);
        var seeds = Enumerable.Range(0, 24).Select(i => ValidMessage(random, result: i % 2 == 1, manyEmptyLines: i % 6 < 2)).ToList();
        int decoded = 0, rejected = 0;
        long largestExcess = long.MinValue;
        for (var i = 0; i < Mutations; i++)
        {
            var (original, isResult) = seeds[random.Next(seeds.Count)];
            var body = Mutate(random, original);
            var before = GC.GetAllocatedBytesForCurrentThread();
            object? message = null;
            Exception? failure = null;
            try
            {
                message = isResult ? LineResult.Decode(body, MaxLineBytes) : LineBatch.Decode(body, MaxLineBytes);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            largestExcess = Math.Max(largestExcess, allocated - body.Length);
            if (allocated > body.Length + FixedOverheadBytes)
            {
                Assert.Fail($"mutation {i} (seed {seed}): decoding {body.Length} bytes allocated {allocated} bytes");
            }
            switch (failure)
            {
                case null:
                    decoded++;
                    AssertWellFormed(message!, body, i, seed);
                    break;
                case MessageFormatException:
                    rejected++;
                    break;
                default:
                    Assert.Fail($"mutation {i} (seed {seed}): {failure.GetType().Name} instead of MessageFormatException: {failure}");
                    break;
            }
        }
        return (decoded, rejected, largestExcess);
    }

    private static void AssertWellFormed(object message, byte[] body, int mutation, int seed)
    {
        var (header, lines, maxFlag) = message switch
        {
            LineBatch b => (b.Header, b.Lines, LineFlag.OverLimit),
            LineResult r => (r.Header, r.Lines, LineStatus.Failed),
            _ => throw new InvalidOperationException(),
        };
        var where = $"mutation {mutation} (seed {seed})";
        Assert.True(header.Sequence >= 0, where);
        Assert.True(header.FirstLine >= 1, where);
        Assert.InRange(header.BatchLineCount, 1, BatchHeader.MaxLinesPerBatch);
        Assert.True(header.PartStart >= 0 && header.PartCount >= 1 && header.PartStart + header.PartCount <= header.BatchLineCount, where);
        Assert.True(lines.Count == header.PartCount, where);
        var end = 52;
        foreach (var line in lines)
        {
            Assert.True(line.Offset == end + 5 && line.Length >= 0 && line.Length <= MaxLineBytes, where);
            Assert.True(line.Flag <= maxFlag, where);
            Assert.True(message is not LineBatch || line.Flag != LineFlag.OverLimit || line.Length == 0, where);
            end = line.Offset + line.Length;
        }
        Assert.True(end == body.Length, $"{where}: the lines end at {end}, the body at {body.Length}");
    }

    /// <param name="manyEmptyLines">Thousands of short lines: the framing is then most of the message, so a decoder
    /// that keeps more than 5 bytes per line would allocate more than the message.</param>
    private static (byte[] Body, bool IsResult) ValidMessage(Random random, bool result, bool manyEmptyLines)
    {
        var count = manyEmptyLines ? random.Next(1000, 3000) : random.Next(1, 40);
        var header = new BatchHeader(Guid.NewGuid(), random.Next(0, 1000), random.Next(1, 100_000), count + random.Next(0, 5), 0, count);
        header = header.Part(random.Next(0, header.BatchLineCount - count + 1), count);
        using var writer = new MessageWriter(64);
        for (var i = 0; i < count; i++)
        {
            var line = new byte[manyEmptyLines ? random.Next(0, 2) : random.Next(0, 60)];
            random.NextBytes(line);
            var flag = result ? (byte)random.Next(0, 2) : (byte)(random.Next(10) == 0 ? LineFlag.OverLimit : LineFlag.Data);
            writer.WriteEntry(flag, !result && flag == LineFlag.OverLimit ? [] : line);
        }
        return (writer.Complete(result ? MessageKind.Result : MessageKind.Batch, header).ToArray(), result);
    }

    private static byte[] Mutate(Random random, byte[] original)
    {
        var body = (byte[])original.Clone();
        switch (random.Next(8))
        {
            case 0: // bit flips
                for (var n = random.Next(1, 9); n > 0; n--)
                {
                    body[random.Next(body.Length)] ^= (byte)(1 << random.Next(8));
                }
                return body;
            case 1: // truncation
                return body[..random.Next(body.Length)];
            case 2: // insertion
                var inserted = new byte[random.Next(1, 64)];
                random.NextBytes(inserted);
                var at = random.Next(body.Length + 1);
                return [.. body[..at], .. inserted, .. body[at..]];
            case 3: // deletion
                var from = random.Next(body.Length);
                return [.. body[..from], .. body[Math.Min(body.Length, from + random.Next(1, 32))..]];
            case 4: // a line length set huge or off by some
                var entry = EntryOffsets(original)[random.Next(EntryOffsets(original).Count)];
                BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(entry + 1), HugeOrNear(random, body.Length));
                return body;
            case 5: // a header count or number set huge, negative or off by one
                var field = random.Next(5);
                var (offset, size) = field switch { 0 => (24, 8), 1 => (32, 8), 2 => (40, 4), 3 => (44, 4), _ => (48, 4) };
                if (size == 8)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(offset), random.Next(3) switch
                    {
                        0 => long.MaxValue - random.Next(2),
                        1 => -random.Next(1, 3),
                        _ => BinaryPrimitives.ReadInt64LittleEndian(body.AsSpan(offset)) + random.Next(-2, 3),
                    });
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(offset), HugeOrNear(random, body.Length));
                }
                return body;
            case 6: // kind, schema version or magic
                body[random.Next(0, 6)] = (byte)random.Next(256);
                return body;
            default: // a line's bytes changed: still a valid message
                var entries = EntryOffsets(original);
                var e = entries[random.Next(entries.Count)];
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(e + 1));
                if (length > 0)
                {
                    body[e + 5 + random.Next(length)] = (byte)random.Next(256);
                }
                return body;
        }
    }

    private static uint HugeOrNear(Random random, int bodyLength) => random.Next(5) switch
    {
        0 => uint.MaxValue,
        1 => int.MaxValue,
        2 => (uint)BatchHeader.MaxLinesPerBatch + 1,
        3 => (uint)(bodyLength + random.Next(-3, 4)),
        _ => (uint)random.Next(0, 100),
    };

    private static List<int> EntryOffsets(byte[] body)
    {
        var offsets = new List<int>();
        for (var position = 52; position + 5 <= body.Length;)
        {
            offsets.Add(position);
            position += 5 + (int)BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(position + 1));
        }
        return offsets;
    }
}
