using System.CommandLine;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Hosting;

namespace Streaming.Consumer;

/// <summary>
/// <c>Consumer [--processor &lt;spec&gt;] [--pipeline NAME] [--prefetch N] [--concurrency N] [--rabbitmq &lt;amqp-uri&gt;]</c>, turned into
/// configuration overrides (the command line wins over environment and appsettings.json).
/// </summary>
internal static class ConsumerCommandLine
{
    private static readonly Option<string> s_processor = new("--processor")
    {
        Description = "identity (default), upper, wordcount, sha256[:R], delay:<ms>, exec:<command line>, or a registered user processor",
    };

    private static readonly Option<string> s_prefetch = new("--prefetch")
    {
        Description = "batches delivered to this consumer and not yet acknowledged (default 4)",
    };

    private static readonly Option<string> s_concurrency = new("--concurrency")
    {
        Description = "lines in work at once in this process (default: the core count)",
    };

    private static readonly Option<string> s_pipeline = PipelineOption.Create();

    private static readonly Option<string> s_rabbitmq = new("--rabbitmq")
    {
        Description = RabbitMqOptions.UriHelp,
    };

    public static RootCommand Create() => new("Streaming consumer: processes lines from the streaming.lines queue (or a pipeline's, streaming.lines.NAME).")
    {
        s_processor, s_pipeline, s_prefetch, s_concurrency, s_rabbitmq,
    };

    /// <summary>Returns the overrides, or null with a one-line error.</summary>
    public static Dictionary<string, string?>? ToConfiguration(ParseResult result, out string? error)
    {
        var overrides = new Dictionary<string, string?>();
        error = null;
        if (result.GetValue(s_processor) is { } processor)
        {
            overrides[$"{ConsumerOptions.SectionName}:{nameof(ConsumerOptions.Processor)}"] = processor;
        }
        if (!CountOption.TryAdd(result, s_prefetch, ushort.MaxValue, $"{ConsumerOptions.SectionName}:{nameof(ConsumerOptions.Prefetch)}", overrides, out error)
            || !CountOption.TryAdd(result, s_concurrency, 100_000, $"{ConsumerOptions.SectionName}:{nameof(ConsumerOptions.Concurrency)}", overrides, out error)
            || !PipelineOption.TryAdd(result, s_pipeline, $"{ConsumerOptions.SectionName}:{nameof(ConsumerOptions.Pipeline)}", overrides, out error))
        {
            return null;
        }
        if (result.GetValue(s_rabbitmq) is { } uri)
        {
            overrides[$"{RabbitMqOptions.SectionName}:{nameof(RabbitMqOptions.Uri)}"] = uri;
        }
        return overrides;
    }

}
