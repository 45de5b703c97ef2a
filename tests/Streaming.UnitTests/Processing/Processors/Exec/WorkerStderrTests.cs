using System.Text;
using Microsoft.Extensions.Logging;
using Streaming.Consumer.Processors.Exec;

namespace Streaming.UnitTests.Processing.Processors.Exec;

public sealed class WorkerStderrTests
{
    private static readonly TimeSpan s_pump = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Pump_EscapeSequencesAndControlCharacters_LoggedPrintableWithUtf8Kept()
    {
        var logger = new RecordingLogger();
        var stderr = new MemoryStream(Encoding.UTF8.GetBytes("\u001b[31mred\u001b[0m ünïcødé ✓\r\nbell\u0007 tab\there\u001b]0;title\u0007\n"));

        var reader = WorkerStderr.Start(stderr, logger, pid: 42);
        await reader.Pump.WaitAsync(s_pump);

        Assert.Equal(
            [
                "exec worker 42 stderr: \\u001b[31mred\\u001b[0m ünïcødé ✓",
                "exec worker 42 stderr: bell\\u0007 tab\\u0009here\\u001b]0;title\\u0007",
            ],
            logger.Messages);
        Assert.Equal("bell\\u0007 tab\\u0009here\\u001b]0;title\\u0007", reader.LastLine);
    }

    private sealed class RecordingLogger : ILogger
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages)
            {
                _messages.Add(formatter(state, exception));
            }
        }
    }
}
