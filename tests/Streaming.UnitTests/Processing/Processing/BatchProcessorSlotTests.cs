using System.Buffers;
using System.Text;
using Streaming.Consumer.Processing;
using Streaming.Consumer.Processors;
using Streaming.Messaging.Contract;

namespace Streaming.UnitTests.Processing.Processing;

/// <summary>
/// A pipelining processor (<c>exec:</c>) settles each batch after its last run: it waits to see that its worker wrote
/// nothing more, which is no line's work. That wait must not hold a slot of the concurrency (the next batch goes on
/// meanwhile, on a spare instance), while the lines in work, including the lines run again after a failed check, never
/// exceed the concurrency.
/// </summary>
public sealed class BatchProcessorSlotTests
{
    private const int MaxLineBytes = 1024 * 1024;
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task OneSlot_NextBatchRunsWhileTheLastOneSettles()
    {
        var secondBatchRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = new SharedState();
        await using var processor = new BatchProcessor(() => new RecordingRunProcessor(shared)
        {
            // The first batch's check ends only once the second batch has lines in work: it cannot, if the check
            // held the only slot.
            Settle = batch => batch.Header.Sequence == 1 ? secondBatchRunning.Task.WaitAsync(s_patience) : Task.CompletedTask,
            OnRun = batch =>
            {
                if (batch.Header.Sequence == 2)
                {
                    secondBatchRunning.TrySetResult();
                }
            },
        }, concurrency: 1);

        var first = processor.ProcessAsync(Batch(1, 10), 64 * 1024, CancellationToken.None);
        var second = processor.ProcessAsync(Batch(2, 10), 64 * 1024, CancellationToken.None);
        using var firstResult = await first;
        using var secondResult = await second;

        Assert.All(new[] { firstResult, secondResult }, r => Assert.Equal(10, Decode(r).Lines.Count(l => l.Flag == LineStatus.Ok)));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public async Task ManyBatchesSlowToSettle_LinesInWorkNeverExceedTheConcurrency(int concurrency, bool runAgain)
    {
        var shared = new SharedState();
        await using var processor = new BatchProcessor(() => new RecordingRunProcessor(shared)
        {
            Settle = _ => Task.Delay(5),
            RunsAgain = runAgain,
        }, concurrency);

        var batches = Enumerable.Range(1, 12).Select(i => processor.ProcessAsync(Batch(i, 40), 64 * 1024, CancellationToken.None)).ToList();
        foreach (var batch in batches)
        {
            using var result = await batch;
            Assert.Equal(40, Decode(result).Lines.Count);
        }

        Assert.InRange(shared.MostInWork, 1, concurrency);
        Assert.Equal(runAgain ? 12 * Math.Min(concurrency, 40) : 0, shared.RunAgainCalls);
    }

    private static LineBatch Batch(long sequence, int lines)
    {
        using var writer = new MessageWriter();
        for (var i = 0; i < lines; i++)
        {
            writer.WriteEntry(LineFlag.Data, Encoding.ASCII.GetBytes($"line {i}"));
        }
        return LineBatch.Decode(
            writer.Complete(MessageKind.Batch, new BatchHeader(Guid.NewGuid(), sequence, 1, lines, 0, lines)).ToArray(), MaxLineBytes);
    }

    private static LineResult Decode(ResultMessages messages) =>
        LineResult.Decode(Assert.Single(messages.Parts).WrittenMemory.ToArray(), MaxLineBytes);

    private sealed class SharedState
    {
        private int _inWork;
        private int _mostInWork;
        private int _runAgainCalls;

        public int MostInWork => Volatile.Read(ref _mostInWork);

        public int RunAgainCalls => Volatile.Read(ref _runAgainCalls);

        public async Task InWorkAsync(Func<Task> work)
        {
            var now = Interlocked.Increment(ref _inWork);
            int most;
            while (now > (most = Volatile.Read(ref _mostInWork)) && Interlocked.CompareExchange(ref _mostInWork, now, most) != most)
            {
            }
            try
            {
                await work();
            }
            finally
            {
                Interlocked.Decrement(ref _inWork);
            }
        }

        public void RanAgain() => Interlocked.Increment(ref _runAgainCalls);
    }

    /// <summary>Answers every line with itself, a millisecond per run, and records how many instances have lines in
    /// work at once.</summary>
    private sealed class RecordingRunProcessor(SharedState shared) : ILineRunProcessor
    {
        public Func<LineBatch, Task> Settle { get; init; } = _ => Task.CompletedTask;

        public Action<LineBatch> OnRun { get; init; } = _ => { };

        public bool RunsAgain { get; init; }

        public int MaxRunLines => 1000;

        public Task ProcessRunAsync(LineBatch batch, int start, int count, ILineRunResults results, CancellationToken cancellationToken) =>
            shared.InWorkAsync(async () =>
            {
                OnRun(batch);
                await Task.Delay(1, cancellationToken);
                for (var i = start; i < start + count; i++)
                {
                    results.Succeeded(i, batch.LineBytes(i).Span);
                }
            });

        public async Task<bool> SettleBatchAsync(LineBatch batch, CancellationToken cancellationToken)
        {
            await Settle(batch);
            return RunsAgain;
        }

        public Task RunAgainAsync(LineBatch batch, ILineRunResults results, CancellationToken cancellationToken) =>
            shared.InWorkAsync(async () =>
            {
                shared.RanAgain();
                await Task.Delay(1, cancellationToken);
            });

        public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken) =>
            throw new NotSupportedException("runs only");
    }
}
