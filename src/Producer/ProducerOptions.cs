using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Streaming.Messaging.Hosting;
using Streaming.Messaging.Topology;

namespace Streaming.Producer;

/// <summary>Producer settings. Section <c>Producer</c>; environment <c>Producer__BatchLines</c> etc.</summary>
internal sealed class ProducerOptions
{
    public const string SectionName = "Producer";

    /// <summary>Reads and checks this section without reflection (<see cref="OptionsSection{T}"/>).</summary>
    public static readonly OptionsSection<ProducerOptions> Section =
        new(SectionName, static (configuration, options) => configuration.Bind(options), new ProducerOptionsValidator());

    public const int MaxBatchBytes = 8 * 1024 * 1024;

    /// <summary>Lines per batch (one message) at most.</summary>
    [Range(1, 1_000_000)]
    public int BatchLines { get; set; } = 10_000;

    /// <summary>Line bytes per batch at most (a single longer line still travels alone).</summary>
    [Range(1, MaxBatchBytes)]
    public int BatchBytes { get; set; } = DefaultBatchBytes;

    /// <summary>960 KiB: with the framing of <see cref="BatchLines"/> lines (5 bytes each) and the header, a batch's
    /// message, an identity result of it and the broker client's copy of either fit the shared array pool's 1 MiB
    /// buffers. At 1 MiB of line bytes every one of them took a 2 MiB buffer, and the pool keeps what it lent.</summary>
    public const int DefaultBatchBytes = 960 * 1024;

    /// <summary>A longer line fails with that reason; the file goes on. Messages must stay under the broker's
    /// max_message_size (16 MiB on RabbitMQ 4.x).</summary>
    [Range(1, 15 * 1024 * 1024)]
    public int MaxLineBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>How many batches the producer may run ahead of the first one not yet written (per file).</summary>
    [Range(1, 100_000)]
    public int Window { get; set; } = 32;

    /// <summary>The most work, in milliseconds at the fleet's rate, a file keeps queued ahead of others (a small file
    /// published beside a big one waits about this long behind it); fewer than <see cref="Window"/> batches are out when
    /// they take the fleet longer than this (and than twice a batch's round trip) to do. 0: the window alone.</summary>
    [Range(0, 600_000)]
    public int LeadMilliseconds { get; set; } = 500;

    /// <summary><see cref="LeadMilliseconds"/> for a job's window, or none.</summary>
    public TimeSpan? Lead() => LeadMilliseconds > 0 ? TimeSpan.FromMilliseconds(LeadMilliseconds) : null;

    /// <summary>Publishes awaiting their confirm at once (per file).</summary>
    [Range(1, 10_000)]
    public int PublishesInFlight { get; set; } = 8;

    /// <summary>Files processed at the same time by one <c>publish</c>.</summary>
    [Range(1, 64)]
    public int ParallelFiles { get; set; } = 4;

    /// <summary>When no result has arrived for this long while batches are out, they are published again (a deleted or
    /// purged queue would otherwise stall the job); the wait doubles each time nothing comes.</summary>
    [Range(1, 86_400)]
    public int RetransmitSeconds { get; set; } = 300;

    /// <summary>A batch still unanswered after this many retransmissions with consumers attached is one no consumer
    /// accepts: its lines fail with that reason and the file goes on.</summary>
    [Range(1, 1000)]
    public int RetransmissionsBeforeFailing { get; set; } = 5;

    /// <summary>How often a job saves its checkpoint while results come in (the most work a crash makes it do again),
    /// and how long a new job runs before its first: a job that ends sooner (a small file) never writes one.</summary>
    [Range(100, 600_000)]
    public int CheckpointMilliseconds { get; set; } = 1000;

    /// <summary>How long a job waits for an output it cannot write (a full disk) to take writes again before it fails
    /// (keeping its checkpoint, so that a later run resumes).</summary>
    [Range(1, 86_400)]
    public int WritePauseSeconds { get; set; } = 600;

    /// <summary>Bytes (in MiB) of results held for reordering by all the files of the process together: results that
    /// arrive ahead of their turn past it are not held and come again later; the one a file needs next is always held.</summary>
    [Range(1, 1024 * 1024)]
    public int ReorderBudgetMiB { get; set; } = 256;

    /// <summary>The pipeline the jobs publish to (<c>--pipeline</c>): its consumers serve it alone. Empty: the default
    /// pipeline, <c>streaming.lines</c>; a name uses <c>streaming.lines.NAME</c> (docs/pipelines.md).</summary>
    [RegularExpression(PipelineQueues.ConfigurationPattern, ErrorMessage = "Pipeline: not a pipeline name (" + PipelineQueues.NameRule + ")")]
    public string Pipeline { get; set; } = "";

    /// <summary>How long (seconds) the results queue of <c>publish -</c> (standard input) outlives a producer that died
    /// without deleting it (<c>kill -9</c>): nothing can resume such a run, so the broker deletes it soon. Longer than a
    /// run's broker retries (30 s by default): a run that gets the broker back still finds its queue.</summary>
    [Range(1, 86_400)]
    public int StdinResultsQueueExpirySeconds { get; set; } = 120;

    /// <summary>How long (milliseconds) a batch of <c>publish -</c> waits after its first line for its next one before it
    /// goes out, full or not: a writer that pauses or trickles (<c>tail -f</c>, a slow generator) gets its results
    /// within about this much more than the fleet's own time, instead of once a batch has filled. 0: a batch goes out as
    /// soon as standard input has nothing more ready. A writer faster than a batch per wait fills every batch.</summary>
    [Range(0, 60_000)]
    public int StdinBatchWaitMilliseconds { get; set; } = 100;

    /// <summary>Seconds between progress lines when stderr is not a terminal.</summary>
    [Range(1, 3600)]
    public int ProgressIntervalSeconds { get; set; } = 5;
}

/// <summary>The attributes of <see cref="ProducerOptions"/>, checked by generated code.</summary>
[OptionsValidator]
internal sealed partial class ProducerOptionsValidator : IValidateOptions<ProducerOptions>;
