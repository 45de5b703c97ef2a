using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Streaming.Messaging.Contract;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// <c>exec:&lt;command line&gt;</c> for one concurrency slot: one worker process, started when first needed and reused
/// across batches. Lines are pipelined through it; its answers stand only while it stays in step:
/// <list type="bullet">
/// <item>A worker that dies, is killed for the line timeout, or goes out of step (<see cref="ExecWorker"/>) is
/// replaced, and the lines it may have answered wrongly go again one at a time: a line fails only when it ends (or
/// puts out of step) a fresh worker while alone, and its neighbours succeed.</item>
/// <item>A batch's answers are checked once more when the slot is done with it: output after a worker's last answer
/// means it answered more than it was asked, so every line it answered in the batch goes again, alone.</item>
/// <item>When <see cref="ExecProtocol.FailingStreak"/> lines in a row fail alone on fresh workers, the command fails
/// whatever the line: the other suspects fail at once with that reason instead of each costing a worker and a
/// timeout.</item>
/// </list>
/// </summary>
internal sealed class ExecLineProcessor(ExecCommand command, ExecSettings settings, ExecProtocol protocol, ILogger logger)
    : ILineRunProcessor, IAsyncDisposable
{
    public const string Name = "exec";

    private static readonly TimeSpan s_maxQuietWait = TimeSpan.FromMilliseconds(50);

    private readonly List<int> _unchecked = [];   // lines of the batch answered by the current worker, not yet checked
    private List<int>? _suspects;                  // lines the check after the batch found in doubt, to run again
    private ExecWorker? _worker;
    private LineBatch? _batch;
    private TimeSpan _answerTime;

    public int MaxRunLines => settings.LinesInFlight;

    public async Task ProcessRunAsync(LineBatch batch, int start, int count, ILineRunResults results, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(batch, _batch))
        {
            _batch = batch;
            _suspects = null;
            if (_unchecked.Count > 0)
            {
                // The last batch ended before it was checked (the service is stopping, or it failed): its worker's
                // place in the answers is unknown, and those lines' numbers mean nothing in this batch.
                _unchecked.Clear();
                await DiscardWorkerAsync();
            }
        }
        var indexes = new List<int>(count);
        for (var i = start; i < start + count; i++)
        {
            if (batch.Lines[i].Flag == LineFlag.OverLimit)
            {
                results.Failed(i, "line is longer than the line limit");
                continue;
            }
            indexes.Add(i);
        }
        await PipelineAsync(batch, indexes, results, cancellationToken);
    }

    public async Task<bool> SettleBatchAsync(LineBatch batch, CancellationToken cancellationToken)
    {
        if (_unchecked.Count == 0)
        {
            return false;
        }
        var worker = _worker!;
        var after = await worker.CheckQuietAsync(QuietWait(_answerTime), cancellationToken);
        if (!after.InDoubt)
        {
            _unchecked.Clear();
            return false;
        }
        _suspects = TakeUnchecked();
        ExecLog.OutOfStep(logger, worker.Id, after.Doubt!, _suspects.Count);
        await DiscardWorkerAsync();
        return true;
    }

    public async Task RunAgainAsync(LineBatch batch, ILineRunResults results, CancellationToken cancellationToken)
    {
        var suspects = _suspects ?? [];
        _suspects = null;
        await AloneAsync(batch, suspects, results, cancellationToken);
    }

    /// <summary>How long to wait for output after a worker's last answer: long enough for it to have written one
    /// more answer, at the pace it answered.</summary>
    private TimeSpan QuietWait(TimeSpan answerTime) =>
        TimeSpan.FromTicks(Math.Max(settings.QuietFloor.Ticks, Math.Min(4 * answerTime.Ticks, s_maxQuietWait.Ticks)));

    /// <summary>One line on its own (the run path is the one the batch processor takes).</summary>
    public async ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        var single = new SingleLineResult();
        await AloneAsync([line], [0], single, cancellationToken);
        if (single.Error is not null)
        {
            throw new InvalidOperationException(single.Error);
        }
        output.Write(single.Output);
    }

    /// <summary>Pipelines the lines through the worker, falling back to one at a time for the lines a failed worker
    /// may have answered wrongly.</summary>
    private async Task PipelineAsync(LineBatch batch, List<int> indexes, ILineRunResults results, CancellationToken cancellationToken)
    {
        var lines = indexes.Select(batch.LineBytes).ToList();
        var run = new WorkerRun(lines, indexes, results);
        var next = 0;
        while (next < indexes.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (worker, startError) = await EnsureWorkerAsync();
            if (worker is null)
            {
                FailAll(run, next, startError!);
                return;
            }
            var clock = Stopwatch.StartNew();
            var outcome = await worker.RunAsync(run, next, indexes.Count - next, cancellationToken);
            if (outcome.Answered > 0)
            {
                _answerTime = clock.Elapsed / outcome.Answered;
                protocol.Answered();
            }
            _unchecked.AddRange(indexes.Skip(next).Take(outcome.Answered));
            next += outcome.Answered;
            if (outcome.Fault == WorkerFault.None)
            {
                continue;
            }
            await DiscardWorkerAsync();
            var suspects = TakeUnchecked();
            var unanswered = Math.Max(1, outcome.Sent - outcome.Answered);
            suspects.AddRange(indexes.Skip(next).Take(unanswered));
            next += unanswered;
            ExecLog.OutOfStep(logger, worker.Id, outcome.Reason!, suspects.Count);
            if (protocol.IsFailing && outcome.Answered == 0)
            {
                // It fails whatever the line: the rest of the run would only cost a worker each.
                suspects.AddRange(indexes.Skip(next));
                next = indexes.Count;
            }
            await AloneAsync(batch, suspects, results, cancellationToken);
        }
    }

    private Task AloneAsync(LineBatch batch, List<int> indexes, ILineRunResults results, CancellationToken cancellationToken) =>
        AloneAsync(indexes.Select(batch.LineBytes).ToList(), indexes, results, cancellationToken);

    /// <summary>Each line alone, checked for output after its answer: the worker is kept while it stays in step, and a
    /// line is failed only when it ends or puts out of step a worker that was fresh for it.</summary>
    private async Task AloneAsync(List<ReadOnlyMemory<byte>> lines, List<int> indexes, ILineRunResults results, CancellationToken cancellationToken)
    {
        var run = new WorkerRun(lines, indexes, results);
        for (var i = 0; i < indexes.Count; i++)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (protocol.IsFailing)
                {
                    results.Failed(indexes[i], protocol.FailingReason);
                    break;
                }
                var (worker, startError) = await EnsureWorkerAsync();
                if (worker is null)
                {
                    FailAll(run, i, startError!);
                    return;
                }
                var fresh = !worker.HasAnswered;
                var clock = Stopwatch.StartNew();
                var outcome = await worker.RunAsync(run, i, 1, cancellationToken);
                if (outcome.Fault == WorkerFault.None)
                {
                    var after = await worker.CheckQuietAsync(QuietWait(clock.Elapsed), cancellationToken);
                    if (!after.InDoubt)
                    {
                        protocol.Answered();
                        break;
                    }
                    outcome = outcome with { Fault = WorkerFault.OutOfStep, Reason = after.Doubt };
                }
                await DiscardWorkerAsync();
                if (!fresh)
                {
                    continue;   // a worker that had answered other lines may have been out of step before this one
                }
                ExecLog.LineFailed(logger, outcome.Reason!);
                results.Failed(indexes[i], outcome.Reason!);
                protocol.LoneLineFailed(outcome.Reason!);
                break;
            }
        }
    }

    private static void FailAll(WorkerRun run, int from, string reason)
    {
        for (var i = from; i < run.Indexes.Count; i++)
        {
            run.Results.Failed(run.Indexes[i], reason);
        }
    }

    private List<int> TakeUnchecked()
    {
        var taken = _unchecked.ToList();
        _unchecked.Clear();
        return taken;
    }

    /// <summary>The slot's worker, started when there is none or the last one is gone; null with the reason when
    /// the command cannot be started.</summary>
    private async Task<(ExecWorker? Worker, string? Error)> EnsureWorkerAsync()
    {
        if (_worker is { IsUsable: true })
        {
            return (_worker, null);
        }
        if (_worker is not null)
        {
            // A worker that exited after its last answer: nothing it said is in doubt, it is only replaced.
            _unchecked.Clear();
            await DiscardWorkerAsync();
        }
        try
        {
            return (_worker = ExecWorker.Start(command, settings, protocol, logger), null);
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            var error = $"cannot start the command: {ex.Message}";
            ExecLog.CannotStart(logger, error);
            return (null, error);
        }
    }

    private async Task DiscardWorkerAsync()
    {
        if (_worker is { } worker)
        {
            _worker = null;
            await worker.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await DiscardWorkerAsync();

    private sealed class SingleLineResult : ILineRunResults
    {
        public string? Error { get; private set; }

        public byte[] Output { get; private set; } = [];

        public void Succeeded(int index, ReadOnlySpan<byte> line)
        {
            Output = line.ToArray();
            Error = null;
        }

        public void Failed(int index, string reason) => Error = reason;
    }
}
