using Streaming.Consumer.Processors.Exec;

namespace Streaming.Consumer.Processors;

/// <summary>Creates a processor instance; called once per concurrency slot.</summary>
public delegate ILineProcessor LineProcessorFactory();

/// <summary>
/// Builds a factory from a spec's argument (the text after the first ':', or null when there is none). Returns null
/// and sets <paramref name="error"/> when the argument is not acceptable.
/// </summary>
public delegate LineProcessorFactory? LineProcessorDefinition(string? argument, out string? error);

/// <summary>
/// The processors a consumer can run, by name. A spec is <c>name</c> or <c>name:argument</c>, given only on the
/// command line or in configuration — never by a message.
/// </summary>
public sealed partial class ProcessorCatalog
{
    /// <summary>The processor a consumer runs when none is given.</summary>
    public const string DefaultSpec = IdentityProcessor.Name;

    private readonly Dictionary<string, LineProcessorDefinition> _definitions = new(StringComparer.Ordinal);

    /// <summary>
    /// A catalog of the built-in processors: <c>identity</c> (the default), <c>upper</c>, <c>wordcount</c>,
    /// <c>sha256[:R]</c>, <c>delay:&lt;ms&gt;</c> and <c>exec:&lt;command line&gt;</c> (default settings; the consumer
    /// registers it again with its configured ones).
    /// </summary>
    public static ProcessorCatalog CreateDefault() => new ProcessorCatalog()
        .Register(IdentityProcessor.Name, () => IdentityProcessor.Instance)
        .Register(UpperProcessor.Name, () => UpperProcessor.Instance)
        .Register(WordCountProcessor.Name, () => WordCountProcessor.Instance)
        .Register(Sha256Processor.Name, Sha256Processor.Define)
        .Register(DelayProcessor.Name, DelayProcessor.Define)
        .Register(ExecLineProcessor.Name, new ExecProcessorDefinition(ExecSettings.From(new ConsumerOptions())).Define);

    /// <summary>Adds or replaces the processor called <paramref name="name"/>.</summary>
    public ProcessorCatalog Register(string name, LineProcessorDefinition definition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("a processor name cannot contain ':'", nameof(name));
        }
        _definitions[name] = definition;
        return this;
    }

    /// <summary>Adds a processor that takes no argument.</summary>
    public ProcessorCatalog Register(string name, LineProcessorFactory factory) =>
        Register(name, (string? argument, out string? error) =>
        {
            if (argument is not null)
            {
                error = $"processor '{name}' takes no argument";
                return null;
            }
            error = null;
            return factory;
        });

    /// <summary>The registered processors' names, in ordinal order.</summary>
    public IEnumerable<string> Names => _definitions.Keys.Order(StringComparer.Ordinal);

    /// <summary>Resolves a spec such as <c>sha256:100</c>; on failure returns null with a one-line reason.</summary>
    public LineProcessorFactory? Resolve(string spec, out string? error)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? spec : spec[..colon];
        var argument = colon < 0 ? null : spec[(colon + 1)..];
        if (!_definitions.TryGetValue(name, out var definition))
        {
            error = $"unknown processor '{spec}' (known: {string.Join(", ", Names)})";
            return null;
        }
        return definition(argument, out error);
    }
}
