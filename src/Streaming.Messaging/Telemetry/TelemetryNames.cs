namespace Streaming.Messaging.Telemetry;

/// <summary>
/// ActivitySource, Meter, instrument and attribute names, created once per process. Instrument names follow the
/// OpenTelemetry naming conventions (dot-separated, units in UCUM, durations in seconds); Prometheus sees them with
/// dots as underscores, the unit as a suffix and <c>_total</c> on counters (<c>streaming_lines_published_total</c>).
/// The Streaming dashboard in <c>otel/</c> queries these names, and a test runs every one of its queries.
/// </summary>
internal static class TelemetryNames
{
    public const string ProducerSource = "Streaming.Producer";
    public const string ConsumerSource = "Streaming.Consumer";
    public const string Meter = "Streaming";

    /// <summary>RabbitMQ.Client 7 traces each publish here and puts the W3C trace context in the message headers.
    /// Its subscriber source is left off on purpose: it starts a new trace for every delivery (linked, not parented),
    /// which would scatter one trace per batch beside each file's trace.</summary>
    public const string RabbitMqPublisherSource = "RabbitMQ.Client.Publisher";

    public const string ProducerService = "streaming-producer";
    public const string ConsumerService = "streaming-consumer";

    // Producer instruments.
    public const string LinesPublished = "streaming.lines.published";
    public const string BatchesPublished = "streaming.batches.published";
    public const string BatchEndToEndDuration = "streaming.batch.end_to_end.duration";
    public const string CollectorDuplicates = "streaming.collector.duplicates";
    public const string CollectorReorderBuffer = "streaming.collector.reorder_buffer";
    public const string FileLinesDone = "streaming.file.lines.done";
    public const string FileLinesTotal = "streaming.file.lines.total";

    // Consumer instruments.
    public const string LinesProcessed = "streaming.lines.processed";
    public const string LinesFailed = "streaming.lines.failed";
    public const string BatchesProcessed = "streaming.batches.processed";
    public const string BatchProcessingDuration = "streaming.batch.processing.duration";
    public const string BatchesSkipped = "streaming.batches.skipped";
    public const string LinesSkipped = "streaming.lines.skipped";
    public const string ConsumerLinesActive = "streaming.consumer.lines.active";
    public const string ConsumerMessagesUnacked = "streaming.consumer.messages.unacked";

    // Both services.
    public const string QueueMessagesReady = "streaming.queue.messages.ready";
    public const string QueueConsumers = "streaming.queue.consumers";
    public const string DeadLetters = "streaming.dead_letters";
    public const string DroppedMessages = "streaming.messages.dropped";

    // Attributes: OpenTelemetry messaging semantic conventions ...
    public const string MessagingSystem = "messaging.system";
    public const string MessagingOperationType = "messaging.operation.type";
    public const string MessagingOperationName = "messaging.operation.name";
    public const string MessagingDestinationName = "messaging.destination.name";
    public const string MessagingDestinationTemplate = "messaging.destination.template";
    public const string MessagingConversationId = "messaging.message.conversation_id";
    public const string MessagingBodySize = "messaging.message.body.size";
    public const string MessagingDeliveryTag = "messaging.rabbitmq.message.delivery_tag";
    public const string ErrorType = "error.type";

    // ... and Streaming's own.
    public const string FileName = "streaming.file.name";
    public const string JobId = "streaming.job.id";
    public const string JobResumed = "streaming.job.resumed";
    public const string BatchSequence = "streaming.batch.sequence";
    public const string BatchFirstLine = "streaming.batch.first_line";

    /// <summary>Lines in the batch (or the part of a split batch) a message carries: a batch is one message.</summary>
    public const string BatchLines = "streaming.batch.lines";

    public const string BatchFailedLines = "streaming.batch.failed_lines";
    public const string Redelivered = "streaming.delivery.redelivered";
    public const string DeadLetterReason = "streaming.dead_letter.reason";
    public const string DropReason = "streaming.drop.reason";

    /// <summary>Why a consumer skipped a batch: <c>job_cancelled</c> or <c>results_queue_gone</c>.</summary>
    public const string SkipReason = "streaming.skip.reason";
    public const string FileLines = "streaming.file.lines";
    public const string FileFailedLines = "streaming.file.failed_lines";
    public const string FileBatches = "streaming.file.batches";
}
