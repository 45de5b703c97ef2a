using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Publishing;
using Streaming.Producer.Job.Results;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Job;

/// <summary>
/// The parts of one job at work, built from its checkpoint in the order they depend on each other — output, publish
/// watermark, window, state, collector, metrics, publisher, retransmitter, and its place in the session's inbox — and
/// disposed in the reverse order. <see cref="JobRunner"/> drives them; this type only makes and closes them.
/// </summary>
internal sealed class JobParts : IAsyncDisposable
{
    private readonly List<object> _owned;

    private JobParts(
        JobDescriptor job, JobCheckpoint? checkpoint, InputFingerprint fingerprint, ProducerSession session,
        List<object> owned, CancellationToken cancellationToken)
    {
        _owned = owned;
        var options = session.Options;
        var context = new JobContext(job.Files, session.Time, session.Logger);
        Output = Own(JobOutput.Open(job.Files, checkpoint?.OutputLengths()));
        Watermark = Own(PublishWatermark.Open(job.Files.Published, resuming: checkpoint is not null));
        var window = Own(new JobWindow(
            options.Window, checkpoint?.NextSequence ?? 0, session.SharedWindow, options.Lead(), session.Time));
        var state = new JobState(
            job, window, Output, checkpoint, session.Results.HeldResults((long)options.ReorderBudgetMiB * 1024 * 1024));
        Collector = Own(new ResultCollector(
            state, Output, fingerprint, checkpoint, session.Results, TimeSpan.FromSeconds(options.WritePauseSeconds), context,
            cancellationToken, Watermark, TimeSpan.FromMilliseconds(options.CheckpointMilliseconds)));
        Fingerprint = fingerprint;
        var extent = Extent = new InputExtent(job.InputLength, fingerprint.Compression != InputCompression.None);
        Own(ProducerMetrics.Track(job.Files.Name, Collector, () => extent.Bytes));
        Batches = new BatchPublisher(
            state, window, Watermark, session.Results, session.Publisher, session.Connection, session.PublishRetry, session.Pipeline,
            context);
        Retransmitter = Own(new Retransmitter(
            new InputReplay(job, state), Collector, Batches,
            new RetransmitPolicy(TimeSpan.FromSeconds(options.RetransmitSeconds), options.RetransmissionsBeforeFailing), context));
        Collector.ResultsLost += Retransmitter.RequestNow;
        Own(session.Results.OnResultsMayBeLost(Retransmitter.RequestNow));
        // The queue the checkpoint names is another run's (a process now gone: this one publishes every batch from the
        // checkpoint again, to its own queue), or this process's own when the watch service tries a job again.
        PreviousResultsQueue = checkpoint?.AnsweredTo();
        Registration = Own(session.Results.Register(job.JobId, Collector));
    }

    public JobOutput Output { get; }

    public PublishWatermark Watermark { get; }

    public ResultCollector Collector { get; }

    /// <summary>The input's fingerprint for the checkpoints; a compressed input's primary cursor tells it its cuts.</summary>
    public InputFingerprint Fingerprint { get; }

    /// <summary>How many bytes the input has to cut (an estimate while a compressed one is read).</summary>
    public InputExtent Extent { get; }

    public BatchPublisher Batches { get; }

    public Retransmitter Retransmitter { get; }

    /// <summary>The job's place in the inbox: ending it stops routing results to the job.</summary>
    public JobRegistry.Registration Registration { get; }

    /// <summary>The results queue the job's checkpoint names, or null for a new job.</summary>
    public string? PreviousResultsQueue { get; }

    /// <summary>Builds the parts of <paramref name="job"/>; what was built before a part failed is disposed.
    /// <paramref name="cancellationToken"/> abandons the job (it ends a pause of the output early).</summary>
    public static async Task<JobParts> OpenAsync(
        JobDescriptor job, JobCheckpoint? checkpoint, InputFingerprint fingerprint, ProducerSession session,
        CancellationToken cancellationToken)
    {
        var owned = new List<object>();
        try
        {
            return new JobParts(job, checkpoint, fingerprint, session, owned, cancellationToken);
        }
        catch
        {
            await DisposeAllAsync(owned);
            throw;
        }
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(_owned);

    private T Own<T>(T part)
        where T : notnull
    {
        _owned.Add(part);
        return part;
    }

    /// <summary>Disposes the parts last built first, each even when one before it failed; the last failure is thrown,
    /// as nested <c>using</c> scopes would.</summary>
    private static async ValueTask DisposeAllAsync(List<object> owned)
    {
        Exception? failure = null;
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            try
            {
                switch (owned[i])
                {
                    case IAsyncDisposable asynchronous:
                        await asynchronous.DisposeAsync();
                        break;
                    case IDisposable synchronous:
                        synchronous.Dispose();
                        break;
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }
        owned.Clear();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }
}
