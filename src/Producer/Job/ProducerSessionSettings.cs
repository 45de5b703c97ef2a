using Streaming.Messaging.Topology;

namespace Streaming.Producer.Job;

/// <summary>
/// How a <see cref="ProducerSession"/> connects and the rules its jobs run by. <paramref name="FilesAtOnce"/> sizes the
/// publisher's confirms in flight; with <paramref name="SharedWindowBatches"/>, every job of the session also holds its
/// batches in flight against one window of that many batches; <paramref name="StartOverOnChangedInput"/> starts a job
/// over when its input changed since its checkpoint (instead of failing it); <paramref name="ResultsQueueExpiry"/> shortens how long the results queue outlives the
/// process (standard input: no run can resume from it). With <paramref name="FirstCheckpointAfterInterval"/>, a new job
/// saves its first checkpoint once it has run for the checkpoint interval, not before its first publish (the watch
/// service, which records its results queue apart: <see cref="Watching.WatchFolders.RecordResultsQueue"/>). Every job publishes to
/// <paramref name="Pipeline"/>'s work queue.
/// </summary>
internal sealed record ProducerSessionSettings(
    string ClientName,
    PipelineQueues Pipeline,
    bool RetryForever,
    ProducerOptions Jobs,
    int FilesAtOnce,
    TimeSpan PublishTimeout,
    int? SharedWindowBatches = null,
    bool StartOverOnChangedInput = false,
    TimeSpan? ResultsQueueExpiry = null,
    bool FirstCheckpointAfterInterval = false);
