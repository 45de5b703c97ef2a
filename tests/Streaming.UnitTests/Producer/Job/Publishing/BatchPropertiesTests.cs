using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Publishing;
using Streaming.UnitTests.Producer.Job.Results;

namespace Streaming.UnitTests.Producer.Job.Publishing;

/// <summary>Each batch answers to the process's results queue of the moment: the reply-to is read from the inbox at each
/// publish, so the first batch published after a move to a fresh queue answers to the fresh one.</summary>
public sealed class BatchPropertiesTests
{
    [Fact]
    public void ForPublish_AfterAMoveToAFreshQueue_RepliesToTheFreshQueue()
    {
        var results = new MovableResultsAddress("streaming.results.first");
        var jobId = Guid.NewGuid();
        var properties = new BatchProperties(jobId, results);
        var before = properties.ForPublish();

        results.MoveTo("streaming.results.fresh");
        var after = properties.ForPublish();

        Assert.Equal("streaming.results.first", before.ReplyTo);
        Assert.Equal("streaming.results.fresh", after.ReplyTo);
        Assert.Equal(jobId.ToString("N"), after.CorrelationId);
        Assert.Equal(MessageHeaders.BatchContentType, after.ContentType);
        Assert.True(after.Persistent);
    }

    [Fact]
    public void ForPublish_EachPublish_GetsACopyOfItsOwn()
    {
        var properties = new BatchProperties(Guid.NewGuid(), new MovableResultsAddress("streaming.results.first"));

        var first = properties.ForPublish();
        first.Headers = new Dictionary<string, object?> { ["traceparent"] = "00-trace" };

        Assert.Null(properties.ForPublish().Headers);
    }
}
