using System.Runtime.CompilerServices;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.Input;

namespace Streaming.Producer.Job.Publishing;

/// <summary>A file's batches out, cut again from the input at the offset the ledger recorded for the first of them: a
/// file can be read twice, so nothing of a batch is kept in memory once it is published.</summary>
internal sealed class InputReplay(JobDescriptor job, JobState state) : IBatchReplay
{
    public async IAsyncEnumerable<CutBatch> ReplayAsync(
        long first, long end, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!state.TryGetBatch(first, out var start))
        {
            yield break;
        }
        await using var input = await InputCursor.OpenAsync(
            job.Files.InputPath, job.Cut, job.JobId, start.StartOffset, start.Sequence, start.FirstLine, onCut: null, cancellationToken);
        using var writer = new MessageWriter();
        for (var sequence = first; sequence < end; sequence++)
        {
            var batch = await input.CutAsync(writer, cancellationToken);
            if (batch is null || !state.TryGetBatch(sequence, out var recorded) || recorded.FirstLine != batch.FirstLine
                || recorded.LineCount != batch.LineCount)
            {
                yield break;     // the ledger moved on (the collector advanced meanwhile): nothing older is missing
            }
            yield return batch;
        }
    }
}
