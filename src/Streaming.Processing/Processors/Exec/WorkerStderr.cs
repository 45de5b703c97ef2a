using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Streaming.Messaging.Hosting;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// Reads a worker's stderr to its end (so the worker never blocks on a full pipe) and logs it line by line, printable
/// (control characters escaped, UTF-8 text kept): lines cut at <see cref="MaxLineChars"/>, at most <see cref="Burst"/> lines at once and <see cref="LinesPerSecond"/> after that;
/// what goes over is counted and the count logged.
/// </summary>
internal sealed class WorkerStderr
{
    public const int MaxLineChars = 1000;
    public const int Burst = 20;
    public const double LinesPerSecond = 5;

    private readonly ILogger _logger;
    private readonly int _pid;
    private double _tokens = Burst;
    private long _refilledAt = Stopwatch.GetTimestamp();
    private long _suppressed;

    private WorkerStderr(ILogger logger, int pid)
    {
        _logger = logger;
        _pid = pid;
    }

    /// <summary>The last line the worker wrote (for the start-up check's message).</summary>
    public string? LastLine { get; private set; }

    public Task Pump { get; private set; } = Task.CompletedTask;

    public static WorkerStderr Start(Stream stderr, ILogger logger, int pid)
    {
        var reader = new WorkerStderr(logger, pid);
        reader.Pump = Task.Run(() => reader.PumpAsync(stderr));
        return reader;
    }

    private async Task PumpAsync(Stream stderr)
    {
        var buffer = new byte[4096];
        var line = new MemoryStream();
        try
        {
            int read;
            while ((read = await stderr.ReadAsync(buffer)) > 0)
            {
                var chunk = buffer.AsSpan(0, read);
                int newline;
                while ((newline = chunk.IndexOf((byte)'\n')) >= 0)
                {
                    Append(line, chunk[..newline]);
                    Emit(line);
                    chunk = chunk[(newline + 1)..];
                }
                Append(line, chunk);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The worker is gone.
        }
        if (line.Length > 0)
        {
            Emit(line);
        }
        if (_suppressed > 0)
        {
            ExecLog.StderrSuppressed(_logger, _pid, _suppressed);
        }
    }

    private static void Append(MemoryStream line, ReadOnlySpan<byte> bytes)
    {
        // UTF-8 takes at most 4 bytes a char: keep a bounded prefix, enough for MaxLineChars.
        var room = (4 * MaxLineChars) - (int)line.Length;
        if (room > 0)
        {
            line.Write(bytes[..Math.Min(room, bytes.Length)]);
        }
    }

    private void Emit(MemoryStream line)
    {
        var text = Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length).TrimEnd('\r');
        line.SetLength(0);
        if (text.Length > MaxLineChars)
        {
            text = text[..MaxLineChars] + "…";
        }
        if (text.Length == 0)
        {
            return;
        }
        // Escape sequences a worker writes (colours, cursor moves, a terminal title) must not act on whoever reads the log.
        text = UsageErrors.Printable(text);
        LastLine = text;
        var now = Stopwatch.GetTimestamp();
        _tokens = Math.Min(Burst, _tokens + (Stopwatch.GetElapsedTime(_refilledAt, now).TotalSeconds * LinesPerSecond));
        _refilledAt = now;
        if (_tokens < 1)
        {
            _suppressed++;
            return;
        }
        _tokens--;
        if (_suppressed > 0)
        {
            ExecLog.StderrSuppressed(_logger, _pid, _suppressed);
            _suppressed = 0;
        }
        ExecLog.Stderr(_logger, _pid, text);
    }
}
