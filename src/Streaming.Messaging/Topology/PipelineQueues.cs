namespace Streaming.Messaging.Topology;

/// <summary>
/// A pipeline's work queues: a fleet of consumers serves one pipeline, chosen by its operator, and a job publishes to
/// one. The default pipeline keeps the queue names of <see cref="QueueNames"/>; a named one appends <c>.NAME</c> to each.
/// <see cref="QueueNames.Dead"/> is shared by every pipeline (each dead letter names its pipeline in
/// <see cref="MessageHeaders.DeadLetterPipeline"/>).
/// </summary>
public sealed record PipelineQueues
{
    public const int MaxNameLength = 64;

    /// <summary>What a pipeline name may be, for a configuration value (empty: the default pipeline).</summary>
    public const string ConfigurationPattern = @"^[A-Za-z0-9._-]{0,64}\z";

    /// <summary>What a pipeline name may be, said in one line.</summary>
    public const string NameRule = "ASCII letters, digits, '.', '_' and '-', 1 to 64 characters";

    private PipelineQueues(string? name)
    {
        Name = name;
        var suffix = name is null ? "" : "." + name;
        Work = QueueNames.Work + suffix;
        Quarantine = QueueNames.Quarantine + suffix;
        DeliveryLimit = QueueNames.DeliveryLimit + suffix;
    }

    /// <summary>The pipeline of everything started without <c>--pipeline</c>: <c>streaming.lines</c> and its siblings.</summary>
    public static PipelineQueues Default { get; } = new((string?)null);

    /// <summary>The pipeline's name; null for the default pipeline.</summary>
    public string? Name { get; }

    /// <summary>The work queue its consumers compete on.</summary>
    public string Work { get; }

    /// <summary>Its batches that came back from a consumer that died or stalled.</summary>
    public string Quarantine { get; }

    /// <summary>Its batches the broker dead-lettered after the delivery limit.</summary>
    public string DeliveryLimit { get; }

    /// <summary>The value of <see cref="MessageHeaders.DeadLetterPipeline"/>: the name, or empty for the default pipeline.</summary>
    public string HeaderValue => Name ?? "";

    /// <summary>How people see it in messages: <c>pipeline 'NAME'</c> or <c>the default pipeline</c>.</summary>
    public string Describe() => Name is null ? "the default pipeline" : $"pipeline '{Name}'";

    /// <summary>The pipeline named <paramref name="name"/> (null or empty: the default one); throws on a name that
    /// <see cref="IsValidName"/> refuses (configuration is checked before it gets here).</summary>
    public static PipelineQueues For(string? name) =>
        string.IsNullOrEmpty(name) ? Default
        : IsValidName(name) ? new PipelineQueues(name)
        : throw new ArgumentException($"'{name}' is not a pipeline name ({NameRule})", nameof(name));

    /// <summary>True for 1 to <see cref="MaxNameLength"/> ASCII letters, digits, '.', '_' and '-'.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!IsNameChar(c))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
}
