using Microsoft.Extensions.Logging;
using Polly;
using RabbitMQ.Client;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Resilience;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Cancelling;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Publishing;
using Streaming.Producer.Job.Results;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Job;

/// <summary>
/// The producer's one broker session, shared by every job of the process, for <c>publish</c> and <c>watch</c> alike:
/// the connection, the work queues' declaration, the backlog monitor, the confirming publisher and the results inbox,
/// opened in that order and disposed in the reverse one. <see cref="CreateJob"/> is the one way to start a job on it.
/// </summary>
internal sealed class ProducerSession : IAsyncDisposable
{
    private readonly QueueBacklogMonitor _backlog;
    private readonly CancelAnnouncer _cancels;
    private readonly ProducerSessionSettings _settings;

    private ProducerSession(
        ProducerSessionSettings settings, IConnection connection, QueueBacklogMonitor backlog, ConfirmingPublisher publisher,
        TimeProvider time, ILogger logger)
    {
        _settings = settings;
        _backlog = backlog;
        Connection = connection;
        Publisher = publisher;
        Results = new ResultsInbox(
            connection, publisher, settings.Pipeline, settings.ResultsQueueExpiry ?? StreamingTopology.ResultsQueueExpiry, time, logger);
        _cancels = new CancelAnnouncer(publisher, time, logger);
        Time = time;
        Logger = logger;
        SharedWindow = settings.SharedWindowBatches is { } batches ? new SharedWindow(batches) : null;
        PublishRetry = new ResiliencePipelineBuilder()
            .AddRetry(RetryDefaults.Publish.ToRetryStrategy(args =>
            {
                PublishLog.PublishRetry(logger, args.Outcome.Exception?.Message ?? "unknown");
                ProducerTracing.PublishRetried(args.Outcome.Exception?.Message ?? "unknown");
                return ValueTask.CompletedTask;
            }))
            .Build();
    }

    public IConnection Connection { get; }

    public ConfirmingPublisher Publisher { get; }

    /// <summary>The inbox of the whole process: every job's results come back through it.</summary>
    public ResultsInbox Results { get; }

    /// <summary>Retries a publish the broker did not confirm, until the job's retries run out.</summary>
    public ResiliencePipeline PublishRetry { get; }

    public ProducerOptions Options => _settings.Jobs;

    /// <summary>The pipeline every job of the session publishes to.</summary>
    public PipelineQueues Pipeline => _settings.Pipeline;

    /// <summary>The window every job of the session shares, or null when each job keeps its own.</summary>
    public SharedWindow? SharedWindow { get; }

    public bool StartsOverOnChangedInput => _settings.StartOverOnChangedInput;

    /// <summary>A new job saves its first checkpoint after the checkpoint interval, not before its first publish.</summary>
    public bool FirstCheckpointAfterInterval => _settings.FirstCheckpointAfterInterval;

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>Connects, declares the work queues and opens the publisher and the inbox (not started yet:
    /// <see cref="StartAsync"/>). Throws what the connector throws, or <see cref="TopologyMismatchException"/>; whatever
    /// was opened before the failure is closed.</summary>
    public static async Task<ProducerSession> OpenAsync(
        BrokerConnector connector, ProducerSessionSettings settings, TimeProvider time, ILogger logger,
        CancellationToken cancellationToken)
    {
        var connection = await connector.ConnectAsync(settings.ClientName, settings.RetryForever, cancellationToken);
        QueueBacklogMonitor? backlog = null;
        ConfirmingPublisher? publisher = null;
        try
        {
            await using (var setup = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
            {
                await StreamingTopology.DeclareWorkQueuesAsync(setup, settings.Pipeline, cancellationToken);
            }
            backlog = QueueBacklogMonitor.Start(connection, settings.Pipeline);
            publisher = await ConfirmingPublisher.CreateAsync(
                connection, (settings.Jobs.PublishesInFlight * settings.FilesAtOnce) + 8, settings.PublishTimeout, cancellationToken);
            return new ProducerSession(settings, connection, backlog, publisher, time, logger);
        }
        catch
        {
            await CloseAsync(null, publisher, backlog, connection);
            throw;
        }
    }

    /// <summary>Starts consuming the results.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Results.StartAsync(cancellationToken);

    /// <summary>A job for <paramref name="files"/>, publishing through this session and collecting through its inbox.</summary>
    public JobRunner CreateJob(JobFiles files) => new(files, this);

    /// <summary>
    /// Cancels job <paramref name="jobId"/> of this session for the consumers: they skip its batches still queued,
    /// without running the processor (announced on <c>streaming.cancel</c> now, and again every few seconds for a while
    /// for consumers that start later). The caller stops the job's run first, so that nothing more is published, and
    /// removes its outputs. Throws only when <paramref name="cancellationToken"/> is cancelled: an announcement the
    /// broker did not take is logged, and costs only work (the batches run and their results are dropped; once this
    /// process's results queue is gone, the consumers skip them anyway).
    /// </summary>
    public async Task CancelJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        try
        {
            await _cancels.AnnounceAsync(jobId, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            CancelLog.AnnounceFailed(Logger, jobId, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cancels.DisposeAsync();
        await CloseAsync(Results, Publisher, _backlog, Connection);
    }

    /// <summary>Closes the inbox, the publisher, the monitor and the connection, in that order, each even when one before it
    /// failed to close.</summary>
    private static async ValueTask CloseAsync(
        ResultsInbox? results, ConfirmingPublisher? publisher, QueueBacklogMonitor? backlog, IConnection connection)
    {
        try
        {
            try
            {
                try
                {
                    if (results is not null)
                    {
                        await results.DisposeAsync();
                    }
                }
                finally
                {
                    if (publisher is not null)
                    {
                        await publisher.DisposeAsync();
                    }
                }
            }
            finally
            {
                if (backlog is not null)
                {
                    await backlog.DisposeAsync();
                }
            }
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
