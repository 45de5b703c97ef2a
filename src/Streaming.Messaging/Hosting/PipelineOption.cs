using System.CommandLine;
using Streaming.Messaging.Topology;

namespace Streaming.Messaging.Hosting;

/// <summary><c>--pipeline NAME</c>, the same on every command: a name of <see cref="PipelineQueues.NameRule"/>.</summary>
public static class PipelineOption
{
    public const string Description =
        "the pipeline (a fleet and its work queues): streaming.lines.NAME instead of streaming.lines; "
        + PipelineQueues.NameRule + " (default: the default pipeline)";

    public static Option<string> Create() => new("--pipeline") { Description = Description };

    /// <summary>Copies the flag's value, when given, to <paramref name="overrides"/> under <paramref name="key"/>;
    /// false with a one-line error when it is not a pipeline name.</summary>
    public static bool TryAdd(
        ParseResult result, Option<string> option, string key, IDictionary<string, string?> overrides, out string? error)
    {
        error = null;
        if (result.GetValue(option) is not { } name)
        {
            return true;
        }
        if (!PipelineQueues.IsValidName(name))
        {
            error = $"{option.Name} '{name}' is not a pipeline name ({PipelineQueues.NameRule})";
            return false;
        }
        overrides[key] = name;
        return true;
    }
}
