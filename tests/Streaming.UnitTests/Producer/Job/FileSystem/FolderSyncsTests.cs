using System.Collections.Concurrent;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.UnitTests.Producer.Job.FileSystem;

public sealed class FolderSyncsTests
{
    private const int Callers = 16;

    [Fact]
    public async Task Sync_ManyCallersAtOnce_FewerSyncsEachStartedAfterTheCallersItCovers()
    {
        var folder = "/folder-" + Guid.NewGuid();
        long clock = 0;
        var syncs = new ConcurrentBag<(long Start, long End)>();
        var covered = new ConcurrentBag<(long Asked, long Returned)>();
        using var start = new Barrier(Callers);

        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(10));
            var asked = Interlocked.Increment(ref clock);
            FolderSyncs.Sync(folder, _ =>
            {
                var began = Interlocked.Increment(ref clock);
                Thread.Sleep(20);
                syncs.Add((began, Interlocked.Increment(ref clock)));
            });
            covered.Add((asked, Interlocked.Increment(ref clock)));
        }, TaskCreationOptions.LongRunning)));

        Assert.InRange(syncs.Count, 1, Callers / 2);
        Assert.All(covered, caller => Assert.Contains(syncs, s => s.Start > caller.Asked && s.End < caller.Returned));
    }

    [Fact]
    public void Sync_TheSyncFails_TheCallerSeesItAndTheNextCallerSyncsAgain()
    {
        var folder = "/folder-" + Guid.NewGuid();
        var syncs = 0;

        Assert.Throws<IOException>(() => FolderSyncs.Sync(folder, _ => throw new IOException("EIO")));
        FolderSyncs.Sync(folder, _ => syncs++);

        Assert.Equal(1, syncs);
    }
}
