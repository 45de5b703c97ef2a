using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Streaming.Messaging.Hosting;
using Streaming.Messaging.Topology;

namespace Streaming.Consumer;

/// <summary>Consumer settings. Section <c>Consumer</c>; environment <c>Consumer__Prefetch</c> etc.</summary>
internal sealed class ConsumerOptions
{
    public const string SectionName = "Consumer";

    /// <summary>Reads and checks this section without reflection (<see cref="OptionsSection{T}"/>).</summary>
    public static readonly OptionsSection<ConsumerOptions> Section =
        new(SectionName, static (configuration, options) => configuration.Bind(options), new ConsumerOptionsValidator());

    /// <summary>Processor spec: identity, upper, wordcount, sha256[:R], delay:&lt;ms&gt;, exec:&lt;command line&gt;, or a registered user processor.</summary>
    [Required]
    public string Processor { get; set; } = "identity";

    /// <summary>The pipeline this consumer serves (<c>--pipeline</c>), chosen by its operator. Empty: the default
    /// pipeline, <c>streaming.lines</c>; a name consumes <c>streaming.lines.NAME</c> (docs/pipelines.md).</summary>
    [RegularExpression(PipelineQueues.ConfigurationPattern, ErrorMessage = "Pipeline: not a pipeline name (" + PipelineQueues.NameRule + ")")]
    public string Pipeline { get; set; } = "";

    /// <summary>Batches the broker may have delivered to this consumer and not yet acknowledged. A batch stays
    /// unacknowledged until its result is confirmed, so this also covers the results waiting for their confirms.
    /// 8 was ~15 % faster on 1M lines on a busy machine but took a consumer to 160–200 MB over a 1 GB file (each
    /// batch in work holds about 8 MB of buffers); 4 stays under 150 MB (bench/NOTEBOOK.md).</summary>
    [Range(1, ushort.MaxValue)]
    public int Prefetch { get; set; } = 4;

    /// <summary>Lines in work at once in this process. Defaults to the core count (CPU-bound processors);
    /// raise it for I/O-bound ones such as delay.</summary>
    [Range(1, 100_000)]
    public int Concurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>The longest line a batch may carry; must match the producer's.</summary>
    [Range(1, 15 * 1024 * 1024)]
    public int MaxLineBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The largest message the broker takes (its <c>max_message_size</c>: 16 MiB on RabbitMQ 4, 128 MiB on
    /// 3.x). A result that would pass it is sent in parts; a smaller limit the broker gives when it refuses a message
    /// wins. At most 16 MiB, the longest result line the collector takes.</summary>
    [Range(64 * 1024, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>On SIGTERM, how long work in progress may go on before it is handed back.</summary>
    [Range(0, 600)]
    public int DrainSeconds { get; set; } = 20;

    /// <summary><c>exec:</c> only: a worker that answers no line for this long while lines are outstanding is killed;
    /// the line it was on fails once it has done the same alone on a fresh worker.</summary>
    [Range(1, 86_400)]
    public int ExecLineTimeoutSeconds { get; set; } = 60;

    /// <summary><c>exec:</c> only: how long a worker has between SIGTERM and SIGKILL when it is stopped.</summary>
    [Range(0, 60)]
    public int ExecStopGraceSeconds { get; set; } = 3;

    /// <summary><c>exec:</c> only: lines sent to one worker ahead of its answers, at most.</summary>
    [Range(1, 100_000)]
    public int ExecLinesInFlight { get; set; } = 1000;

    /// <summary><c>exec:</c> only: after a worker's last answer of a batch, how long at least to wait for output that
    /// would show it answered more than it was asked (the wait is otherwise four times its pace per answer, at most
    /// 50 ms, or this when larger; and longer while the worker is still at work).</summary>
    [Range(0, 10_000)]
    public int ExecQuietMilliseconds { get; set; } = 1;
}

/// <summary>The attributes of <see cref="ConsumerOptions"/>, checked by generated code.</summary>
[OptionsValidator]
internal sealed partial class ConsumerOptionsValidator : IValidateOptions<ConsumerOptions>;
