using System.Buffers;
using System.ComponentModel;
using Microsoft.Extensions.Logging;
using Streaming.Messaging.Contract;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// <c>exec:&lt;command line&gt;</c> for one concurrency slot: one worker process, started when first needed and reused
/// across batches. A worker that dies (or is killed for the line timeout) with lines outstanding is replaced, and the
/// lines it had been sent go again one at a time: a line that ends a fresh worker while alone fails with the reason
/// ("command exited with code N"), and its neighbours succeed.
/// </summary>
internal sealed class ExecLineProcessor(ExecCommand command, ExecSettings settings, ILogger logger)
    : ILineRunProcessor, IAsyncDisposable
{
    public const string Name = "exec";

    private ExecWorker? _worker;

    public int MaxRunLines => settings.LinesInFlight;

    public async Task ProcessRunAsync(LineBatch batch, int start, int count, ILineRunResults results, CancellationToken cancellationToken)
    {
        var lines = new List<ReadOnlyMemory<byte>>(count);
        var indexes = new List<int>(count);
        for (var i = start; i < start + count; i++)
        {
            if (batch.Lines[i].Flag == LineFlag.OverLimit)
            {
                results.Failed(i, "line is longer than the line limit");
                continue;
            }
            lines.Add(batch.LineBytes(i));
            indexes.Add(i);
        }
        await RunAsync(new WorkerRun(lines, indexes, results), cancellationToken);
    }

    /// <summary>One line on its own (the run path is the one the batch processor takes).</summary>
    public async ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        var single = new SingleLineResult(output);
        await RunAsync(new WorkerRun([line], [0], single), cancellationToken);
        if (single.Error is not null)
        {
            throw new InvalidOperationException(single.Error);
        }
    }

    /// <summary>
    /// Pipelines the run through the worker. When a worker ends with lines outstanding, nobody knows which of the
    /// lines it had been sent killed it: those suspects go one at a time, the first on a fresh worker, so the one that
    /// ends a worker while alone fails with the reason and every other line succeeds; then pipelining resumes.
    /// </summary>
    private async Task RunAsync(WorkerRun run, CancellationToken cancellationToken)
    {
        var next = 0;
        var suspectsEnd = 0;
        while (next < run.Lines.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_worker is { IsUsable: false } stale)
            {
                _worker = null;
                await stale.DisposeAsync();
            }
            if (!TryEnsureWorker(out var worker, out var startError))
            {
                for (; next < run.Lines.Count; next++)
                {
                    run.Results.Failed(run.Indexes[next], startError!);
                }
                return;
            }
            var alone = next < suspectsEnd;
            var outcome = await worker.RunAsync(run, next, alone ? 1 : run.Lines.Count - next, cancellationToken);
            if (outcome.Failure is null)
            {
                next += outcome.Answered;
                continue;
            }
            _worker = null;
            await worker.DisposeAsync();
            if (alone)
            {
                ExecLog.LineFailed(logger, outcome.Failure);
                run.Results.Failed(run.Indexes[next++], outcome.Failure);
            }
            else
            {
                next += outcome.Answered;
                ExecLog.Died(logger, worker.Id, run.Lines.Count - next, outcome.Failure);
                suspectsEnd = next + Math.Max(1, outcome.Sent - outcome.Answered);
            }
        }
    }

    private bool TryEnsureWorker(out ExecWorker worker, out string? error)
    {
        if (_worker is { IsUsable: true })
        {
            worker = _worker;
            error = null;
            return true;
        }
        try
        {
            worker = _worker = ExecWorker.Start(command, settings, logger);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            error = $"cannot start the command: {ex.Message}";
            ExecLog.CannotStart(logger, error);
            worker = null!;
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_worker is { } worker)
        {
            _worker = null;
            await worker.DisposeAsync();
        }
    }

    private sealed class SingleLineResult(IBufferWriter<byte> output) : ILineRunResults
    {
        public string? Error { get; private set; }

        public void Succeeded(int index, ReadOnlySpan<byte> line) => output.Write(line);

        public void Failed(int index, string reason) => Error = reason;
    }
}
