using System.Text.Json;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job.Redrive;

/// <summary>
/// Runs the failed lines of a completed run again and puts their new results in place. The lines are copied out of the
/// input into a file of their own (<see cref="RedriveFiles.Lines"/>), which an ordinary job publishes and collects
/// (resumable from its checkpoint like any job); the run's output is then read once and written again with those lines
/// replaced (<see cref="OutputSplice"/>), under <c>.partial</c> names, and committed: the pending summary first, then the
/// renames. Each step can be done again after a crash and gives the same files.
/// </summary>
internal sealed class RedriveJob(RedriveFiles files, JobSummary summary, ProducerSession session)
{
    private readonly JobRunner _runner = session.CreateJob(files.Lines);

    /// <summary>The job that runs the lines again (for the progress display).</summary>
    public JobRunner Runner => _runner;

    public async Task<JobResult> RunAsync(CancellationToken cancellationToken)
    {
        var identity = files.ListIdentity(summary.TraceId);
        if (Directory.Exists(files.WorkDirectory)
            && (!File.Exists(files.ListIdentityFile) || await File.ReadAllTextAsync(files.ListIdentityFile, cancellationToken) != identity))
        {
            // Left by a redrive of another run of the file (published again since), or of another list.
            files.Files.RemoveRedriveFolder();
        }
        if (!Directory.Exists(files.WorkDirectory))
        {
            await files.Files.CreateRedriveFolderAsync(identity, cancellationToken);
        }
        await CopyLinesAsync(cancellationToken);
        var lines = files.Lines;
        if (!File.Exists(lines.Summary) || File.Exists(lines.Checkpoint))
        {
            await _runner.RunAsync(cancellationToken);
        }
        var redriven = ReadSummary(lines.Summary);
        var updated = await Task.Run(() => Splice(redriven), cancellationToken);
        await files.Files.SavePendingRedriveSummaryAsync(updated, ProducerJsonContext.Default.JobSummary, cancellationToken);
        return await CommitAsync(files, updated, cancellationToken);
    }

    /// <summary>Puts the spliced outputs in place and writes the summary; done again after a crash, it finishes the same.</summary>
    public static async Task<JobResult> CommitAsync(RedriveFiles files, JobSummary updated, CancellationToken cancellationToken)
    {
        var job = files.Files;
        await job.CommitRedriveAsync(
            updated.FailedLines > 0, updated, ProducerJsonContext.Default.JobSummary, files.ErrorsSource, cancellationToken);
        return new JobResult(job, updated);
    }

    /// <summary>The summary a crashed redrive left pending.</summary>
    public static JobSummary ReadPendingSummary(RedriveFiles files) => ReadSummary(files.PendingSummary);

    private static JobSummary ReadSummary(string path) =>
        JsonSerializer.Deserialize(File.ReadAllBytes(path), ProducerJsonContext.Default.JobSummary)
        ?? throw new InvalidDataException($"'{path}' is empty");

    private IEnumerable<long> Redriven() => ErrorsFile.Read(files.ErrorsSource).Select(e => e.Line);

    /// <summary>Copies the listed lines out of the input (decompressed), each as it is followed by <c>\n</c>, once: a file
    /// that is there already is the same copy, and the job's checkpoint may rely on it.</summary>
    private async Task CopyLinesAsync(CancellationToken cancellationToken)
    {
        var target = files.Lines.InputPath;
        if (File.Exists(target))
        {
            return;
        }
        var partial = JobFiles.Partial(target);
        await Task.Run(
            () =>
            {
                using var input = OpenDecompressed(files.Files.InputPath);
                using (var copy = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
                {
                    var lines = new LineStream(input);
                    foreach (var wanted in Redriven())
                    {
                        while (lines.Lines < wanted - 1)
                        {
                            if (!lines.NextLine(null))
                            {
                                throw new InputChangedException($"'{files.Files.InputPath}' ends before line {wanted:N0}");
                            }
                        }
                        if (!lines.NextLine(copy))
                        {
                            throw new InputChangedException($"'{files.Files.InputPath}' ends before line {wanted:N0}");
                        }
                        copy.WriteByte((byte)'\n');
                    }
                    copy.Flush(flushToDisk: true);
                }
                files.Files.PlaceRedriveLines();
            },
            cancellationToken);
    }

    /// <summary>Writes the new output and errors file under their <c>.partial</c> names; returns the updated summary.</summary>
    private JobSummary Splice(JobSummary redriven)
    {
        var job = files.Files;
        long lines;
        using (var old = OpenOutput(job.Output, job.Compression))
        using (var linesOutput = File.OpenRead(files.Lines.Output))
        using (var file = new FileStream(JobFiles.Partial(job.Output), FileMode.Create, FileAccess.Write, FileShare.None, 0))
        using (var output = new CompressingWriter(file, job.Compression))
        {
            lines = OutputSplice.Splice(Redriven(), new LineStream(old), new LineStream(linesOutput), output);
            output.Complete();
        }
        if (lines != summary.Lines)
        {
            throw new OutputMismatchException($"'{job.Output}' has {lines:N0} lines, but its summary says {summary.Lines:N0}");
        }
        var current = File.Exists(job.Errors) ? ErrorsFile.Read(job.Errors) : [];
        var errorsOfLines = File.Exists(files.Lines.Errors) ? ErrorsFile.Read(files.Lines.Errors) : [];
        long failed = 0;
        using (var errors = new FileStream(JobFiles.Partial(job.Errors), FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            foreach (var entry in OutputSplice.MergeErrors(current, Redriven(), errorsOfLines))
            {
                errors.Write(JsonSerializer.SerializeToUtf8Bytes(entry, ProducerJsonContext.Default.LineError));
                errors.WriteByte((byte)'\n');
                failed++;
            }
            errors.Flush(flushToDisk: true);
        }
        var attempt = new RunAttempt(
            RunAttempt.Redrive, redriven.StartedAt, redriven.CompletedAt, redriven.DurationMs, redriven.Lines, redriven.FailedLines,
            redriven.TraceId);
        var earlier = summary.Attempts ?? [new RunAttempt(
            RunAttempt.Run, summary.StartedAt, summary.CompletedAt, summary.DurationMs, summary.Lines, summary.FailedLines, summary.TraceId)];
        return summary with { FailedLines = failed, Attempts = [.. earlier, attempt] };
    }

    /// <summary>An input, decompressed when its first bytes say it is compressed (as a run reads it).</summary>
    private static Stream OpenDecompressed(string path)
    {
        var handle = PosixFiles.OpenInput(path);
        var compression = InputCompressionDetector.Detect(handle);
        var file = new FileStream(handle, FileAccess.Read, 256 * 1024);
        return compression == InputCompression.None ? file : DecompressedInput.Open(file, compression);
    }

    /// <summary>The run's output, decompressed in the compression it was written in.</summary>
    private static Stream OpenOutput(string path, OutputCompression compression)
    {
        var file = new FileStream(PosixFiles.OpenInput(path), FileAccess.Read, 256 * 1024);
        return compression switch
        {
            OutputCompression.Gzip => DecompressedInput.Open(file, InputCompression.Gzip),
            OutputCompression.Zstd => DecompressedInput.Open(file, InputCompression.Zstd),
            _ => file,
        };
    }
}
