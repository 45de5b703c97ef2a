using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Job;

/// <summary>
/// Where one job begins: its input (a symbolic link resolved), the checkpoint it resumes from (or none), the fingerprint
/// that hashes the input for the checkpoints to come, the file's trace activity, and the job's descriptor. An input that
/// changed since its checkpoint starts over, or fails the job (<see cref="InputChangedException"/>). Disposing it ends
/// the activity, then the fingerprint.
/// </summary>
internal sealed class JobStart : IDisposable
{
    private readonly InputFingerprint _fingerprint;

    private JobStart(
        JobDescriptor job, JobCheckpoint? checkpoint, InputFingerprint fingerprint, string? discardedResultsQueue, Activity? activity)
    {
        Job = job;
        Checkpoint = checkpoint;
        _fingerprint = fingerprint;
        DiscardedResultsQueue = discardedResultsQueue;
        Activity = activity;
    }

    public JobDescriptor Job { get; }

    /// <summary>The checkpoint the job resumes from, or null for a new job (or one started over).</summary>
    public JobCheckpoint? Checkpoint { get; }

    public InputFingerprint Fingerprint => _fingerprint;

    /// <summary>The results queue of a checkpoint that was discarded, or null.</summary>
    public string? DiscardedResultsQueue { get; }

    /// <summary>The file's trace activity (the current one from <see cref="Open"/> on), or null when nobody listens.</summary>
    public Activity? Activity { get; }

    /// <summary>Reads where <paramref name="files"/>' job begins and starts its activity. Synchronous, so that the
    /// activity stays current in the caller.</summary>
    public static JobStart Open(JobFiles files, ProducerSession session)
    {
        var options = session.Options;
        var input = ResolveInput(files);
        var cut = new CutSettings(options.BatchLines, options.BatchBytes, options.MaxLineBytes);
        var checkpoint = LoadCheckpoint(files, session, input, cut, out var fingerprint, out var discardedResultsQueue);
        try
        {
            var activity = ProducerTracing.StartFile(files, checkpoint);
            var job = new JobDescriptor(
                checkpoint?.JobId ?? Guid.NewGuid(), files, input.Length, input.LastWriteTimeUtc, cut,
                checkpoint?.StartedAt ?? session.Time.GetUtcNow(),
                checkpoint?.TraceId ?? activity?.TraceId.ToHexString() ?? ActivityTraceId.CreateRandom().ToHexString(),
                checkpoint?.RootSpanId ?? activity?.SpanId.ToHexString(), session.Pipeline.Name);
            ProducerTracing.FileStarted(activity, job.JobId);
            return new JobStart(job, checkpoint, fingerprint, discardedResultsQueue, activity);
        }
        catch
        {
            fingerprint.Dispose();
            throw;
        }
    }

    /// <summary>The output covers the input as it was read; says so when it has changed since it was taken.</summary>
    public void NoticeInputChange(ILogger logger)
    {
        var now = new FileInfo(Job.Files.InputPath);
        if (now.Exists && (now.Length != Job.InputLength || now.LastWriteTimeUtc != Job.InputLastWriteUtc))
        {
            JobLog.InputChangedWhileRead(logger, Job.Files.Name, Job.InputLength, now.Length);
        }
    }

    public void Dispose()
    {
        try
        {
            Activity?.Dispose();
        }
        finally
        {
            _fingerprint.Dispose();
        }
    }

    /// <summary>The input, or the file its symbolic link points to.</summary>
    private static FileInfo ResolveInput(JobFiles files)
    {
        var input = new FileInfo(files.InputPath);
        return input.LinkTarget is not null && input.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target ? target : input;
    }

    /// <summary>The checkpoint to resume from, or null; <paramref name="fingerprint"/> hashes the input for the checkpoints
    /// to come.</summary>
    private static JobCheckpoint? LoadCheckpoint(
        JobFiles files, ProducerSession session, FileInfo input, CutSettings cut, out InputFingerprint fingerprint,
        out string? discardedResultsQueue)
    {
        fingerprint = new InputFingerprint(input.FullName);
        var checkpoint = CheckpointStore.TryLoad(
            files, input, cut, fingerprint, session.Logger, out var inputChange, out discardedResultsQueue);
        if (inputChange is not null)
        {
            if (!session.StartsOverOnChangedInput)
            {
                fingerprint.Dispose();
                throw new InputChangedException(
                    $"'{files.InputPath}' is not the input its checkpoint was made from ({inputChange}); "
                    + $"delete '{files.Checkpoint}' to start it over");
            }
            JobLog.StartingOver(session.Logger, files.Name, inputChange);
            fingerprint.Dispose();
            fingerprint = new InputFingerprint(input.FullName);
        }
        if (checkpoint is not null && checkpoint.Pipeline != session.Pipeline.Name)
        {
            var change = $"its checkpoint was made on {PipelineQueues.For(checkpoint.Pipeline).Describe()}, this run is on "
                         + session.Pipeline.Describe();
            if (!session.StartsOverOnChangedInput)
            {
                fingerprint.Dispose();
                throw new InputChangedException(
                    $"'{files.InputPath}' cannot resume: {change}, and one output would mix two pipelines' processors; "
                    + $"run it again on {PipelineQueues.For(checkpoint.Pipeline).Describe()} to resume, or delete '{files.Checkpoint}' to start it over");
            }
            JobLog.PipelineChangedStartingOver(session.Logger, files.Name, change);
            discardedResultsQueue = checkpoint.ResultsQueue ?? QueueNames.ResultsQueue(checkpoint.JobId);
            fingerprint.Dispose();
            fingerprint = new InputFingerprint(input.FullName);
            checkpoint = null;
        }
        if (checkpoint is null && File.Exists(files.Checkpoint))
        {
            files.RemoveDiscardedCheckpoint();
        }
        return checkpoint;
    }
}
