using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Input;

namespace Streaming.UnitTests.Producer.Job.Input;

/// <summary>Cuts a whole input and decodes every batch, for assertions.</summary>
internal static class CutterHarness
{
    public static readonly Guid JobId = Guid.Parse("0b0e2f4c-9a51-4c0c-8d2b-1d7c3e1b9f00");

    public static async Task<List<(CutBatch Batch, LineBatch Decoded)>> CutAllAsync(
        Stream input, CutSettings settings, long startOffset = 0, long nextSequence = 0, long nextLine = 1, long? expectedBytes = null)
    {
        var cutter = new BatchCutter(input, settings, JobId, startOffset, nextSequence, nextLine, expectedBytes);
        using var writer = new MessageWriter(1024);
        var batches = new List<(CutBatch, LineBatch)>();
        while (await cutter.CutAsync(writer, CancellationToken.None) is { } batch)
        {
            var copy = batch with { Body = batch.Body.ToArray() };
            batches.Add((copy, LineBatch.Decode(copy.Body, settings.MaxLineBytes)));
        }
        return batches;
    }

    public static async Task<List<byte[]?>> LinesAsync(byte[] input, CutSettings settings)
    {
        var lines = new List<byte[]?>();
        foreach (var (_, decoded) in await CutAllAsync(new MemoryStream(input), settings))
        {
            for (var i = 0; i < decoded.Lines.Count; i++)
            {
                lines.Add(decoded.Lines[i].Flag == LineFlag.OverLimit ? null : decoded.LineBytes(i).ToArray());
            }
        }
        return lines;
    }
}
