using System.ComponentModel;
using Microsoft.Extensions.Logging.Abstractions;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// At consumer start-up, before the broker is touched: starts the command once and fails when it cannot start or
/// exits at once (a missing script, a syntax error, an import that fails), or writes anything but the framed hello
/// before it is sent a line (that output would be taken as the first line's answer). A framed worker passes as soon as
/// it writes its hello; a plain one once it has lived for <see cref="Patience"/> without writing or ending its output
/// and is waiting (<see cref="ProcessGroupActivity"/>): a worker still starting on a loaded machine is not taken for a
/// running one, up to <see cref="MaxPatience"/>.
/// </summary>
internal static class ExecStartupCheck
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxPatience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_look = TimeSpan.FromMilliseconds(100);

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
            worker = ExecWorker.Start(command, settings, new ExecProtocol(), NullLogger.Instance);
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
            if (await Task.WhenAny(reading, WaitingAsync(worker.Id, ProcessGroupActivity.Sample, TimeProvider.System)) == reading)
            {
                var read = await reading;
                ended = read == 0;
                if (!ended && !IsHelloSoFar(firstOutput.AsSpan(0, read)))
                {
                    return $"exec: '{command.Text}' wrote output before it was sent a line (a plain worker writes only its answers, one line per input line; log to stderr)";
                }
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

    /// <summary>Completes after <see cref="Patience"/> once two looks <see cref="s_look"/> apart find the worker's group
    /// asleep with no CPU used between them (at once where <c>/proc</c> cannot tell), or at <see cref="MaxPatience"/>:
    /// a worker busy starting for longer than that is taken for a running one. A group with no member left is not
    /// waiting but gone (the runtime reaps an exited worker at once, often before its end of output is read): the
    /// check then waits for that end of output, up to <see cref="MaxPatience"/>.</summary>
    internal static async Task WaitingAsync(int workerId, Func<int, GroupActivity?> sample, TimeProvider time)
    {
        await Task.Delay(Patience, time);
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var waited = Patience;
        var last = sample(workerId);
        while (waited < MaxPatience)
        {
            await Task.Delay(s_look, time);
            waited += s_look;
            var now = sample(workerId);
            if (last is { AllAsleep: true } before && now is { AllAsleep: true } after && before.CpuTicks == after.CpuTicks)
            {
                return;
            }
            last = now;
        }
    }

    /// <summary>True when <paramref name="output"/> is the framed hello's line, or its start.</summary>
    private static bool IsHelloSoFar(ReadOnlySpan<byte> output)
    {
        ReadOnlySpan<byte> hello = [.. ExecWorker.FramedHello, (byte)'\n'];
        var length = Math.Min(output.Length, hello.Length);
        return output[..length].SequenceEqual(hello[..length]);
    }
}
