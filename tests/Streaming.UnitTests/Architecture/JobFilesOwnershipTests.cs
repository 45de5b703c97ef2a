using Streaming.Producer;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Architecture;

/// <summary>A file of the Producer is moved or deleted by the one type that owns it: a job's files (outputs, partial
/// outputs, errors file, summary, checkpoint, publish watermark, redrive folder), named by <see cref="JobFiles"/>, by
/// <see cref="JobFileMoves"/>; the inputs, redrive drops and reasons in the watch service's folders by
/// <see cref="WatchFolders"/>; a lock file by its <see cref="OwnerLock"/>. Every other type asks them.</summary>
public sealed class JobFilesOwnershipTests
{
    private static readonly string[] s_owners = [typeof(JobFileMoves).FullName!, typeof(WatchFolders).FullName!, typeof(OwnerLock).FullName!];

    [Fact]
    public void ProducerTypes_OtherThanTheOwners_MoveOrDeleteNoFile()
    {
        var strays = FileMoves.CallersUnder(typeof(ProducerOptions).Assembly, "Streaming.Producer")
            .Where(caller => !s_owners.Contains(caller.Key))
            .Select(caller => $"{caller.Key} calls {string.Join(", ", caller.Value)}")
            .ToList();

        Assert.True(strays.Count == 0, "files moved or deleted outside their owner: " + string.Join("; ", strays));
    }

    [Fact]
    public void CallersUnder_ProbeThatDeletesInALambdaAndMovesInAnAsyncMethod_FindsBothForTheProbe()
    {
        Assert.NotNull(Probes.MovesFiles.DeleteLater("/nonexistent/streaming-probe"));

        var callers = FileMoves.CallersUnder(typeof(JobFilesOwnershipTests).Assembly, "Streaming.UnitTests.Architecture.Probes");

        Assert.Equal(["Directory.Move", "File.Delete"], callers[typeof(Probes.MovesFiles).FullName!]);
    }
}
