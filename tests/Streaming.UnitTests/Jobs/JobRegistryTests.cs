using Streaming.Producer.Job.Results;

namespace Streaming.UnitTests.Jobs;

/// <summary>The one results queue of a producer process, shared by its jobs: each result goes to the job its header
/// names, a result for a job no longer registered is dropped and counted, and a move to a fresh queue reaches every
/// job registered, before or after it.</summary>
public sealed class JobRegistryTests
{
    private const string First = "streaming.results.first";
    private const string Fresh = "streaming.results.fresh";

    [Fact]
    public async Task Claim_ResultsOfTwoJobsInterleaved_EachGoesToItsOwnJob()
    {
        var registry = new JobRegistry(First);
        var (a, b) = (new RecordingHandler(), new RecordingHandler());
        var (idA, idB) = (Guid.NewGuid(), Guid.NewGuid());
        registry.Register(idA, a);
        registry.Register(idB, b);

        byte n = 0;
        foreach (var id in new[] { idA, idB, idB, idA, idB })
        {
            using var claim = registry.Claim(id);
            Assert.NotNull(claim);
            await claim.Handler.AcceptAsync(new[] { n++ }, CancellationToken.None);
        }

        Assert.Equal([0, 3], a.Accepted);
        Assert.Equal([1, 2, 4], b.Accepted);
        Assert.Equal(0, registry.Unclaimed);
    }

    [Fact]
    public async Task Claim_AJobThatEndedOrNeverRegistered_IsNotRoutedAndIsCounted()
    {
        var registry = new JobRegistry(First);
        var finished = Guid.NewGuid();
        var registration = registry.Register(finished, new RecordingHandler());
        await registration.EndAsync(CancellationToken.None);

        Assert.Null(registry.Claim(finished));
        Assert.Null(registry.Claim(Guid.NewGuid()));
        Assert.Equal(2, registry.Unclaimed);
        Assert.Equal(0, registry.Count);
    }

    [Fact]
    public void MoveTo_TellsEveryRegisteredJob_AndAJobRegisteredLaterStartsOnTheFreshQueue()
    {
        var registry = new JobRegistry(First);
        var early = new RecordingHandler();
        registry.Register(Guid.NewGuid(), early);

        registry.MoveTo(Fresh);
        var late = new RecordingHandler();
        registry.Register(Guid.NewGuid(), late);

        Assert.Equal([First, Fresh], early.Queues);
        Assert.Equal([Fresh], late.Queues);
        Assert.Equal(Fresh, registry.Queue);
    }

    [Fact]
    public async Task ResultsMayBeLost_ReachesEveryRegisteredJob_NotOneThatEnded()
    {
        var registry = new JobRegistry(First);
        var (running, other, ended) = (new RecordingHandler(), new RecordingHandler(), new RecordingHandler());
        registry.Register(Guid.NewGuid(), running);
        registry.Register(Guid.NewGuid(), other);
        await registry.Register(Guid.NewGuid(), ended).EndAsync(CancellationToken.None);

        registry.ResultsMayBeLost();

        Assert.Equal(1, running.LostCalls);
        Assert.Equal(1, other.LostCalls);
        Assert.Equal(0, ended.LostCalls);
    }

    [Fact]
    public async Task EndAsync_WhileAResultOfTheJobIsBeingHandled_ReturnsOnlyOnceItIsDone()
    {
        var registry = new JobRegistry(First);
        var id = Guid.NewGuid();
        var registration = registry.Register(id, new RecordingHandler());
        var claim = registry.Claim(id)!;

        var ending = registration.EndAsync(CancellationToken.None);
        Assert.Null(registry.Claim(id));
        Assert.False(ending.IsCompleted);
        claim.Dispose();

        await ending.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Register_AJobRunningAlready_IsRefused_AndAllowedAgainOnceItEnded()
    {
        var registry = new JobRegistry(First);
        var id = Guid.NewGuid();
        var first = registry.Register(id, new RecordingHandler());

        Assert.Throws<InvalidOperationException>(() => registry.Register(id, new RecordingHandler()));
        await first.EndAsync(CancellationToken.None);
        var again = new RecordingHandler();
        registry.Register(id, again);

        Assert.Same(again, registry.Claim(id)!.Handler);
    }

    private sealed class RecordingHandler : IResultsHandler
    {
        public List<string> Queues { get; } = [];

        public List<byte> Accepted { get; } = [];

        public int LostCalls { get; private set; }

        public Task<string?> AcceptAsync(ReadOnlyMemory<byte> body, CancellationToken deliveryCancelled)
        {
            Accepted.Add(body.Span[0]);
            return Task.FromResult<string?>(null);
        }

        public Task<bool> CheckpointIfDueAsync() => Task.FromResult(false);

        public void MovedTo(string queue) => Queues.Add(queue);

        public void ResultsMayBeLost() => LostCalls++;
    }
}
