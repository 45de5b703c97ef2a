using System.Diagnostics;
using RabbitMQ.Client.Events;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Telemetry;

/// <summary>
/// The producer's spans. One trace per file: the file's root span; under it a <c>create streaming.lines</c> span per
/// batch (cut, published with a confirm, retried), whose child is RabbitMQ.Client's <c>publish streaming.lines</c>
/// (the context the consumers continue); and the collector's <c>process streaming.results</c> span per result,
/// continuing the consumer's result publish. A resumed job continues the checkpoint's trace: its root span's parent
/// is the first run's root span.
/// </summary>
internal static class ProducerTracing
{
    public const string FileSpan = "process file";
    public const string BatchSpan = "create " + QueueNames.Work;
    public const string CollectSpan = "process streaming.results";

    private static readonly ActivitySource s_source = new(TelemetryNames.ProducerSource, typeof(ProducerTracing).Assembly.GetName().Version?.ToString());

    public static Activity? StartFile(JobFiles files, JobCheckpoint? checkpoint)
    {
        var parent = default(ActivityContext);
        if (checkpoint is not null)
        {
            var rootSpan = checkpoint.RootSpanId ?? ActivitySpanId.CreateRandom().ToHexString();
            ActivityContext.TryParse($"00-{checkpoint.TraceId}-{rootSpan}-01", null, isRemote: true, out parent);
        }
        var activity = s_source.StartActivity(FileSpan, ActivityKind.Internal, parent);
        activity?.SetTag(TelemetryNames.FileName, files.Name).SetTag(TelemetryNames.JobResumed, checkpoint is not null);
        return activity;
    }

    public static void FileStarted(Activity? activity, Guid jobId) =>
        activity?.SetTag(TelemetryNames.JobId, jobId.ToString("N"));

    public static void FileCompleted(Activity? activity, JobSummary summary) =>
        activity?.SetTag(TelemetryNames.FileLines, summary.Lines)
            .SetTag(TelemetryNames.FileFailedLines, summary.FailedLines)
            .SetTag(TelemetryNames.FileBatches, summary.Batches);

    /// <summary>The span of one batch published to <paramref name="workQueue"/> (its name stays <see cref="BatchSpan"/> for
    /// every pipeline: span names keep a low cardinality; the destination tag names the queue).</summary>
    public static Activity? StartBatch(CutBatch batch, string? jobId, string workQueue)
    {
        var activity = s_source.StartActivity(BatchSpan, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryNames.MessagingSystem, MessagingActivities.RabbitMqSystem)
                .SetTag(TelemetryNames.MessagingOperationType, "create")
                .SetTag(TelemetryNames.MessagingOperationName, "create")
                .SetTag(TelemetryNames.MessagingDestinationName, workQueue)
                .SetTag(TelemetryNames.MessagingConversationId, jobId)
                .SetTag(TelemetryNames.MessagingBodySize, batch.Body.Length)
                .SetTag(TelemetryNames.BatchSequence, batch.Sequence)
                .SetTag(TelemetryNames.BatchFirstLine, batch.FirstLine)
                .SetTag(TelemetryNames.BatchLines, batch.LineCount);
        }
        return activity;
    }

    public static void PublishRetried(string reason) =>
        MessagingActivities.Event("publish retried", new KeyValuePair<string, object?>("exception.message", reason));

    public static Activity? StartCollect(BasicDeliverEventArgs delivery, string queue)
    {
        var activity = MessagingActivities.StartProcess(s_source, CollectSpan, delivery, queue);
        activity?.SetTag(TelemetryNames.MessagingDestinationTemplate, QueueNames.ResultsPrefix + "{job}");
        return activity;
    }

    /// <summary>Tags the current collector span with the result it handles.</summary>
    public static void Result(BatchHeader header)
    {
        if (Activity.Current is { IsAllDataRequested: true } activity && activity.Source == s_source)
        {
            activity.SetTag(TelemetryNames.JobId, header.JobId.ToString("N"))
                .SetTag(TelemetryNames.BatchSequence, header.Sequence)
                .SetTag(TelemetryNames.BatchFirstLine, header.PartFirstLine)
                .SetTag(TelemetryNames.BatchLines, header.PartCount);
        }
    }

    public static void Written(long sequence, int lines) => MessagingActivities.Event("written",
        new KeyValuePair<string, object?>(TelemetryNames.BatchSequence, sequence),
        new KeyValuePair<string, object?>(TelemetryNames.BatchLines, lines));

    public static void Held(long sequence) => MessagingActivities.Event("held for reordering",
        new KeyValuePair<string, object?>(TelemetryNames.BatchSequence, sequence));

    public static void Duplicate() => MessagingActivities.Event("duplicate dropped");

    public static void Dropped(string reason) => MessagingActivities.Event("result dropped",
        new KeyValuePair<string, object?>("streaming.drop.reason", reason));
}
