using System.ComponentModel;
using Microsoft.Extensions.Logging.Abstractions;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// At consumer start-up, before the broker is touched: starts the command once and fails when it cannot start or
/// exits at once (a missing script, a syntax error, an import that fails). A framed worker passes as soon as it writes
/// its hello; a plain one once it has lived for <see cref="Patience"/> without ending its output.
/// </summary>
internal static class ExecStartupCheck
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    /// <summary>Null when the command runs; else a one-line reason.</summary>
    public static async Task<string?> RunAsync(string commandLine, ExecSettings settings)
    {
        var command = ExecCommand.TryCreate(commandLine, out var error);
        if (command is null)
        {
            return $"exec: {error}";
        }
        ExecWorker worker;
        try
        {
            worker = ExecWorker.Start(command, settings, NullLogger.Instance);
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            return $"exec: cannot start '{command.Program}': {ex.Message}";
        }
        var firstOutput = new byte[4096];
        var reading = worker.ReadFirstOutputAsync(firstOutput);
        var ended = false;
        try
        {
            if (await Task.WhenAny(reading, Task.Delay(Patience)) == reading)
            {
                ended = await reading == 0;
            }
            if (!ended)
            {
                return null;
            }
            var code = await worker.ExitCodeAsync();
            await worker.StderrDrainedAsync();
            var detail = worker.LastStderrLine is { } line ? $": {line}" : "";
            return $"exec: '{command.Text}' exited at once with code {code}{detail}";
        }
        finally
        {
            await worker.DisposeAsync();
            await reading;
        }
    }
}
