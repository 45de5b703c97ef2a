using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Results;

namespace Streaming.UnitTests.Producer.Job.Results;

/// <summary>The one results queue of a producer process, shared by its jobs: each result goes to the job its header
/// names, and a result for a job no longer registered is dropped and counted. (That a move to a fresh queue reaches
/// every job, registered before or after it, is the collector's to show: each job reads the queue from the inbox,
/// <see cref="ResultCollectorQueueTests"/>.)</summary>
public sealed class JobRegistryTests
{
    [Fact]
    public async Task Claim_ResultsOfTwoJobsInterleaved_EachGoesToTheJobItsHeaderNames()
    {
        var registry = new JobRegistry();
        var (a, b) = (new RecordingHandler(), new RecordingHandler());
        var (idA, idB) = (Guid.NewGuid(), Guid.NewGuid());
        registry.Register(idA, a);
        registry.Register(idB, b);

        var sequence = 0;
        foreach (var id in new[] { idA, idB, idB, idA, idB })
        {
            var message = Result(id, sequence++);
            using var claim = registry.Claim(message, out var malformed);
            Assert.Null(malformed);
            Assert.NotNull(claim);
            await claim.Handler.HandleAsync(claim.Result, CancellationToken.None);
        }

        Assert.Equal([0L, 3L], a.Accepted);
        Assert.Equal([1L, 2L, 4L], b.Accepted);
        Assert.Equal(0, registry.Unclaimed);
    }

    [Fact]
    public async Task Claim_AJobThatEndedOrNeverRegistered_IsNotRoutedAndIsCounted()
    {
        var registry = new JobRegistry();
        var finished = Guid.NewGuid();
        var registration = registry.Register(finished, new RecordingHandler());
        await registration.EndAsync(CancellationToken.None);

        Assert.Null(registry.Claim(Result(finished, 0), out var late));
        Assert.Null(registry.Claim(Result(Guid.NewGuid(), 0), out var unknown));

        Assert.Null(late);
        Assert.Null(unknown);
        Assert.Equal(2, registry.Unclaimed);
        Assert.Equal(0, registry.Count);
    }

    [Fact]
    public void Claim_AMalformedMessageOfNoRegisteredJob_IsNotRoutedNorCountedButSaysWhy()
    {
        var registry = new JobRegistry();
        registry.Register(Guid.NewGuid(), new RecordingHandler());
        byte[][] messages = [[], [1, 2, 3], Result(Guid.NewGuid(), 0)[..^2]];

        foreach (var message in messages)
        {
            Assert.Null(registry.Claim(message, out var malformed));
            Assert.StartsWith("malformed result: ", malformed, StringComparison.Ordinal);
        }
        Assert.Equal(0, registry.Unclaimed);
    }

    [Fact]
    public async Task EndAsync_WhileAResultOfTheJobIsBeingHandled_ReturnsOnlyOnceItIsDone()
    {
        var registry = new JobRegistry();
        var id = Guid.NewGuid();
        var registration = registry.Register(id, new RecordingHandler());
        var claim = registry.Claim(Result(id, 0), out _)!;

        var ending = registration.EndAsync(CancellationToken.None);
        Assert.Null(registry.Claim(Result(id, 1), out _));
        Assert.False(ending.IsCompleted);
        claim.Dispose();

        await ending.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Register_AJobRunningAlready_IsRefused_AndAllowedAgainOnceItEnded()
    {
        var registry = new JobRegistry();
        var id = Guid.NewGuid();
        var first = registry.Register(id, new RecordingHandler());

        Assert.Throws<InvalidOperationException>(() => registry.Register(id, new RecordingHandler()));
        await first.EndAsync(CancellationToken.None);
        var again = new RecordingHandler();
        registry.Register(id, again);

        Assert.Same(again, registry.Claim(Result(id, 0), out _)!.Handler);
    }

    private static byte[] Result(Guid jobId, long sequence)
    {
        using var writer = new MessageWriter();
        writer.WriteEntry(LineStatus.Ok, "line"u8);
        return writer.Complete(MessageKind.Result, new BatchHeader(jobId, sequence, sequence + 1, 1, 0, 1)).ToArray();
    }

    private sealed class RecordingHandler : IResultsHandler
    {
        public List<long> Accepted { get; } = [];

        public Task<string?> HandleAsync(LineResult result, CancellationToken deliveryCancelled)
        {
            Accepted.Add(result.Header.Sequence);
            return Task.FromResult<string?>(null);
        }
    }
}
