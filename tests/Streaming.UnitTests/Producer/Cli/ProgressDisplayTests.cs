using Microsoft.Extensions.Time.Testing;
using Streaming.Messaging.Topology;
using Streaming.Producer.Cli;
using Streaming.UnitTests.Messaging.Connection;

namespace Streaming.UnitTests.Producer.Cli;

public sealed class ProgressDisplayTests
{
    /// <summary>A publish stops its progress display as it ends: a wait cancelled through its token would throw, and a
    /// Native AOT producer renders that exception's stack trace at the end of every run.</summary>
    [Fact]
    public async Task Stop_EndsTheDisplayWithoutThrowing()
    {
        using var thrown = ThrownExceptions.Watch();
        using var stop = new CancellationTokenSource();
        var display = new ProgressDisplay([], InertConnection.Create(), PipelineQueues.Default, TimeSpan.FromSeconds(5), new FakeTimeProvider());
        var running = display.RunAsync(stop.Token);

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(thrown.Thrown);
    }
}
