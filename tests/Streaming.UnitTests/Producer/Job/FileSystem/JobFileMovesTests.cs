using Streaming.Producer.Job.FileSystem;

namespace Streaming.UnitTests.Producer.Job.FileSystem;

public sealed class JobFileMovesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("job-file-moves-").FullName;

    private JobFiles Files => new(Path.Combine(_directory, "data.txt"), _directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void RemoveResumable_FailedJob_RemovesWhatWouldResumeItAndKeepsTheRest()
    {
        var left = Touch([.. Files.AnyLeft, JobFiles.Temporary(Files.Checkpoint), Files.Lock]);

        Files.RemoveResumable();

        Assert.Equal(
            left.Except([JobFiles.Partial(Files.Output), JobFiles.Partial(Files.Errors), Files.Checkpoint, Files.Published]).Order(),
            Directory.GetFiles(_directory).Order());
    }

    [Fact]
    public void RemoveAll_CancelledWatchJob_OnlyTheLockStays()
    {
        Touch([.. Files.AnyLeft, JobFiles.Temporary(Files.Checkpoint), Files.Lock]);

        Files.RemoveAll();

        Assert.Equal([Files.Lock], Directory.GetFiles(_directory));
    }

    [Fact]
    public void RemoveUnfinished_CancelledJob_CompleteOutputsOfAnEarlierRunStay()
    {
        Touch([.. Files.AnyLeft, JobFiles.Temporary(Files.Checkpoint)]);

        Files.RemoveUnfinished();

        Assert.Equal(
            new[] { Files.Output, Files.Summary, Files.Errors, Files.Output + ".gz", Files.Output + ".zst" }.Order(),
            Directory.GetFiles(_directory).Order());
    }

    private static string[] Touch(string[] paths)
    {
        foreach (var path in paths)
        {
            File.WriteAllText(path, "x");
        }
        return paths;
    }
}
