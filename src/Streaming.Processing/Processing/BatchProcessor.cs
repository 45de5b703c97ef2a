using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Streaming.Consumer.Processors;
using Streaming.Consumer.Telemetry;
using Streaming.Messaging.Contract;

namespace Streaming.Consumer.Processing;

/// <summary>
/// Runs a batch's lines through the processor with at most <c>concurrency</c> lines in work across the whole
/// process, and builds the result message. A line that throws fails alone.
/// </summary>
internal sealed class BatchProcessor : IAsyncDisposable
{
    private const int MaxReasonLength = 1000;
    private const int MaxPooledBufferBytes = 1024 * 1024;

    /// <summary>Why an output holding a line break fails: the output file has one line per input line.</summary>
    internal const string LineBreakInOutput = "the processor's output for this line contains a line break (\\n); an output line must be one line";

    private readonly int _concurrency;
    private readonly SemaphoreSlim _permits;        // lines in work: one per slot of the concurrency
    private readonly SemaphoreSlim _freeInstances;  // processor instances not in use
    private readonly ConcurrentStack<ILineProcessor> _instances = new();
    private readonly ConcurrentBag<LineOutputBuffer> _buffers = [];

    public BatchProcessor(LineProcessorFactory factory, int concurrency)
    {
        _concurrency = concurrency;
        _permits = new SemaphoreSlim(concurrency, concurrency);
        for (var i = 0; i < concurrency; i++)
        {
            _instances.Push(factory());
        }
        if (_instances.TryPeek(out var first) && first is ILineRunProcessor)
        {
            // A spare: while one instance waits out the check after its batch (no line in work), the slot it left
            // goes on with the next batch on this one, instead of idling for the check.
            _instances.Push(factory());
        }
        _freeInstances = new SemaphoreSlim(_instances.Count, _instances.Count);
    }

    /// <summary>Processes every line; the caller disposes the returned result messages.</summary>
    /// <param name="batch">The batch or part to process.</param>
    /// <param name="maxMessageBytes">The largest message the broker takes: a bigger result is sent in parts.</param>
    /// <param name="cancellationToken">Cancelled when the service stops.</param>
    /// <exception cref="OperationCanceledException">The service is stopping; nothing is returned.</exception>
    public async Task<ResultMessages> ProcessAsync(LineBatch batch, int maxMessageBytes, CancellationToken cancellationToken)
    {
        using var measurement = BatchMeasurement.Start(batch.Lines.Count);
        var work = new BatchWork(batch);
        var workers = new Task[Math.Min(_concurrency, batch.Lines.Count)];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => RunWorkerAsync(work, cancellationToken), cancellationToken);
        }
        try
        {
            await Task.WhenAll(workers);
            return BuildResult(work, maxMessageBytes, measurement);
        }
        finally
        {
            foreach (var buffer in work.Buffers)
            {
                ReturnBuffer(buffer);
            }
            work.ReturnOutcomes();
        }
    }

    private async Task RunWorkerAsync(BatchWork work, CancellationToken cancellationToken)
    {
        // An instance first, then a slot: a task that holds a slot never waits for anything else, so the instances
        // held without a slot (checking, or waiting for a slot to run lines again) cannot keep a slot from coming free.
        await _freeInstances.WaitAsync(cancellationToken);
        _instances.TryPop(out var processor);
        try
        {
            await _permits.WaitAsync(cancellationToken);
            var holdsPermit = true;
            var buffer = RentBuffer();
            lock (work.Buffers)
            {
                work.Buffers.Add(buffer);
            }
            try
            {
                if (processor is ILineRunProcessor runs)
                {
                    var results = new RunResults(work, buffer);
                    await RunLinesAsync(runs, work, results, cancellationToken);
                    _permits.Release();
                    holdsPermit = false;
                    if (await runs.SettleBatchAsync(work.Batch, cancellationToken))
                    {
                        await _permits.WaitAsync(cancellationToken);
                        holdsPermit = true;
                        await runs.RunAgainAsync(work.Batch, results, cancellationToken);
                    }
                    return;
                }
                int index;
                while ((index = Interlocked.Increment(ref work.Next)) < work.Count)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    work.Outcomes[index] = await ProcessLineAsync(processor!, work.Batch, index, buffer, cancellationToken);
                }
            }
            finally
            {
                if (holdsPermit)
                {
                    _permits.Release();
                }
            }
        }
        finally
        {
            _instances.Push(processor!);
            _freeInstances.Release();
        }
    }

    /// <summary>Hands a pipelining processor (exec:) consecutive runs of lines, spread over the slots.</summary>
    private async Task RunLinesAsync(ILineRunProcessor runs, BatchWork work, RunResults results, CancellationToken cancellationToken)
    {
        var size = Math.Clamp((work.Count + _concurrency - 1) / _concurrency, 1, runs.MaxRunLines);
        int start;
        while ((start = Interlocked.Add(ref work.Next, size) - size + 1) < work.Count)
        {
            await runs.ProcessRunAsync(work.Batch, start, Math.Min(size, work.Count - start), results, cancellationToken);
        }
    }

    private static async ValueTask<LineOutcome> ProcessLineAsync(
        ILineProcessor processor, LineBatch batch, int index, LineOutputBuffer buffer, CancellationToken cancellationToken)
    {
        if (batch.Lines[index].Flag == LineFlag.OverLimit)
        {
            return LineOutcome.Failed("line is longer than the line limit");
        }
        var start = buffer.WrittenCount;
        try
        {
            await processor.ProcessAsync(batch.LineBytes(index), buffer, cancellationToken);
            if (buffer.Slice(start, buffer.WrittenCount - start).Contains((byte)'\n'))
            {
                buffer.Truncate(start);
                return LineOutcome.Failed(LineBreakInOutput);
            }
            return new LineOutcome(buffer, start, buffer.WrittenCount - start, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            buffer.Truncate(start);
            var reason = string.IsNullOrWhiteSpace(ex.Message) ? ex.GetType().Name : ex.Message;
            return LineOutcome.Failed(Shorten(reason));
        }
    }

    private static string Shorten(string reason) => reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason;

    private static ResultMessages BuildResult(BatchWork work, int maxMessageBytes, BatchMeasurement measurement)
    {
        var outcomes = work.Outcomes.AsSpan(0, work.Count);
        long bytes = MessageWriter.HeaderBytes;
        foreach (var outcome in outcomes)
        {
            bytes += EntryBytes(outcome);
        }
        var plan = bytes <= maxMessageBytes ? [new ResultSplitter.Part(0, outcomes.Length, bytes, Oversized: false)] : PlanParts(outcomes, maxMessageBytes);
        var messages = new List<MessageWriter>(plan.Count);
        var failed = 0;
        try
        {
            foreach (var part in plan)
            {
                var message = new MessageWriter(part.Oversized ? 1024 : (int)part.Bytes);
                messages.Add(message);
                failed += WritePart(message, outcomes, part, maxMessageBytes);
                message.Complete(MessageKind.Result, work.Batch.Header.Part(work.Batch.Header.PartStart + part.Start, part.Count));
            }
        }
        catch
        {
            new ResultMessages(messages).Dispose();
            throw;
        }
        measurement.Completed(failed);
        return new ResultMessages(messages);
    }

    private static List<ResultSplitter.Part> PlanParts(ReadOnlySpan<LineOutcome> outcomes, int maxMessageBytes)
    {
        var entryBytes = ArrayPool<int>.Shared.Rent(outcomes.Length);
        try
        {
            for (var i = 0; i < outcomes.Length; i++)
            {
                entryBytes[i] = EntryBytes(outcomes[i]);
            }
            return ResultSplitter.Plan(entryBytes.AsSpan(0, outcomes.Length), maxMessageBytes);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(entryBytes);
        }
    }

    private static int EntryBytes(LineOutcome outcome) =>
        MessageWriter.EntryFramingBytes + (outcome.Error is null ? outcome.Length : Encoding.UTF8.GetByteCount(outcome.Error));

    /// <summary>Writes a part's entries; returns how many lines failed.</summary>
    private static int WritePart(MessageWriter message, ReadOnlySpan<LineOutcome> outcomes, ResultSplitter.Part part, int maxMessageBytes)
    {
        if (part.Oversized)
        {
            var reason = $"its output of {outcomes[part.Start].Length} bytes is more than one result message may carry ({maxMessageBytes} bytes)";
            message.WriteEntry(LineStatus.Failed, Encoding.UTF8.GetBytes(reason));
            return 1;
        }
        var failed = 0;
        foreach (var outcome in outcomes.Slice(part.Start, part.Count))
        {
            if (outcome.Error is null)
            {
                message.WriteEntry(LineStatus.Ok, outcome.Buffer!.Slice(outcome.Offset, outcome.Length));
            }
            else
            {
                message.WriteEntry(LineStatus.Failed, Encoding.UTF8.GetBytes(outcome.Error));
                failed++;
            }
        }
        return failed;
    }

    private LineOutputBuffer RentBuffer() => _buffers.TryTake(out var buffer) ? buffer : new LineOutputBuffer();

    private void ReturnBuffer(LineOutputBuffer buffer)
    {
        if (buffer.Capacity > MaxPooledBufferBytes)
        {
            buffer.Dispose();
            return;
        }
        buffer.Truncate(0);
        _buffers.Add(buffer);
    }

    public async ValueTask DisposeAsync()
    {
        while (_buffers.TryTake(out var buffer))
        {
            buffer.Dispose();
        }
        // Side by side: exec: workers each get their stop grace at the same time, not one after another.
        await Task.WhenAll(_instances.Select(async instance =>
        {
            if (instance is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                (instance as IDisposable)?.Dispose();
            }
        }));
        _permits.Dispose();
        _freeInstances.Dispose();
    }

    /// <summary>Where a run's outcomes go: outputs into the slot's buffer, outcomes into the batch's array.</summary>
    private sealed class RunResults(BatchWork work, LineOutputBuffer buffer) : ILineRunResults
    {
        public void Succeeded(int index, ReadOnlySpan<byte> output)
        {
            if (output.Contains((byte)'\n'))
            {
                Failed(index, LineBreakInOutput);
                return;
            }
            var start = buffer.WrittenCount;
            buffer.Write(output);
            work.Outcomes[index] = new LineOutcome(buffer, start, output.Length, null);
        }

        public void Failed(int index, string reason) => work.Outcomes[index] = LineOutcome.Failed(Shorten(reason));
    }

    private sealed class BatchWork(LineBatch batch)
    {
        public readonly LineBatch Batch = batch;
        public readonly int Count = batch.Lines.Count;
        // Pooled: at 10,000 lines this is a 320 KB array, which a fresh allocation would put on the large object heap
        // for every batch, where only full collections free it (the consumer's RSS grew by 60 MB over a 1 GB file).
        public readonly LineOutcome[] Outcomes = ArrayPool<LineOutcome>.Shared.Rent(batch.Lines.Count);
        public readonly List<LineOutputBuffer> Buffers = [];
        public int Next = -1;

        public void ReturnOutcomes() => ArrayPool<LineOutcome>.Shared.Return(Outcomes, clearArray: true);
    }

    private readonly record struct LineOutcome(LineOutputBuffer? Buffer, int Offset, int Length, string? Error)
    {
        public static LineOutcome Failed(string reason) => new(null, 0, 0, reason);
    }
}
