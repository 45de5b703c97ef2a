using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// Defines <c>exec:&lt;command line&gt;</c>: the command line is split into words and its program found when the
/// spec is resolved (a bad one is a one-line configuration error); workers start when a slot first needs one.
/// </summary>
/// <param name="settings">Timeouts and bounds.</param>
/// <param name="logger">Gives the logger once the host is built (workers log their stderr there).</param>
internal sealed class ExecProcessorDefinition(ExecSettings settings, Func<ILogger>? logger = null)
{
    public LineProcessorFactory? Define(string? argument, out string? error)
    {
        if (string.IsNullOrWhiteSpace(argument))
        {
            error = $"processor '{ExecLineProcessor.Name}' needs a command line, e.g. 'exec:python3 worker.py'";
            return null;
        }
        var command = ExecCommand.TryCreate(argument, out var reason);
        if (command is null)
        {
            error = $"exec: {reason}";
            return null;
        }
        error = null;
        var protocol = new ExecProtocol();     // one per command: its slots learn together how its workers answer
        return () => new ExecLineProcessor(command, settings, protocol, logger?.Invoke() ?? NullLogger.Instance);
    }
}
