using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;
using Streaming.UnitTests.Messaging.Connection;
using Streaming.UnitTests.Producer;

namespace Streaming.UnitTests.Messaging.Telemetry;

public sealed class QueueBacklogMonitorTests
{
    /// <summary>Every producer session disposes its monitor as it ends: a timer wait cancelled through its token would
    /// throw, and a Native AOT producer renders that exception's stack trace at the end of every run.</summary>
    [Fact]
    public async Task Dispose_StopsThePollingWithoutACancellation()
    {
        using var thrown = ThrownExceptions.Watch();
        var monitor = QueueBacklogMonitor.Start(InertConnection.Create(), PipelineQueues.Default);
        await Task.Delay(TimeSpan.FromMilliseconds(50));

        await monitor.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        // A test beside this one that listens to the gauges makes the monitor query the inert connection, which fails
        // (and is reported as no backlog); only a cancellation is this test's concern.
        Assert.DoesNotContain(thrown.Thrown, e => e is OperationCanceledException);
    }
}
