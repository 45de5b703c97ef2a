using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.UnitTests.Producer.Job.Checkpoints;

public sealed class PublishWatermarkTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-watermark-").FullName;

    private string Path => System.IO.Path.Combine(_directory, "data.txt.published");

    [Fact]
    public void Open_NewJob_NothingPublishedBefore()
    {
        using var watermark = PublishWatermark.Open(Path, resuming: false);

        watermark.Publishing(1, 100);

        Assert.Equal(0, watermark.PreviousRunPublishedThrough);
        Assert.Equal(0, watermark.Republished);
    }

    /// <summary>Only a run resumed from a checkpoint reads the file: a new job creates it just before its first
    /// checkpoint, so one that ends before then (a small file) creates none.</summary>
    [Fact]
    public void Open_NewJobNotKept_CreatesNoFile()
    {
        using var watermark = PublishWatermark.Open(Path, resuming: false);

        watermark.Publishing(1, 100);
        watermark.Retransmitting(100);

        Assert.False(File.Exists(Path));
        Assert.Equal(100, watermark.Republished);
    }

    [Fact]
    public void Keep_AfterSomeBatches_WritesTheFiguresSoFarAndEveryLaterOne()
    {
        using (var killed = PublishWatermark.Open(Path, resuming: false))
        {
            killed.Publishing(1, 100);
            killed.Keep();
            Assert.Equal(16, new FileInfo(Path).Length);
            killed.Publishing(101, 100);
        }

        using var resumed = PublishWatermark.Open(Path, resuming: true);

        Assert.Equal(200, resumed.PreviousRunPublishedThrough);
    }

    [Fact]
    public void Open_ResumingAfterAKill_CountsTheBatchesTheKilledRunHadPublished()
    {
        using (var killed = PublishWatermark.Open(Path, resuming: false))
        {
            killed.Keep();
            killed.Publishing(1, 100);
            killed.Publishing(101, 100);
            killed.Publishing(201, 100);
        }

        using var resumed = PublishWatermark.Open(Path, resuming: true);
        resumed.Publishing(101, 100);       // the checkpoint was at line 101
        resumed.Publishing(201, 100);
        resumed.Publishing(301, 100);

        Assert.Equal(300, resumed.PreviousRunPublishedThrough);
        Assert.Equal(200, resumed.Republished);
    }

    [Fact]
    public void Open_ResumedTwice_FiguresAddUp()
    {
        using (var first = PublishWatermark.Open(Path, resuming: false))
        {
            first.Keep();
            first.Publishing(1, 50);
            first.Publishing(51, 50);
        }
        using (var second = PublishWatermark.Open(Path, resuming: true))
        {
            second.Publishing(51, 50);
            second.Publishing(101, 50);
            second.Retransmitting(50);
        }

        using var third = PublishWatermark.Open(Path, resuming: true);
        third.Publishing(101, 50);

        Assert.Equal(150, third.PreviousRunPublishedThrough);
        Assert.Equal(150, third.Republished);
    }

    [Fact]
    public void Open_NotResuming_ForgetsAnEarlierJob()
    {
        using (var earlier = PublishWatermark.Open(Path, resuming: false))
        {
            earlier.Keep();
            earlier.Publishing(1, 1000);
        }

        using (var fresh = PublishWatermark.Open(Path, resuming: false))
        {
            fresh.Publishing(1, 10);
            fresh.Keep();
            Assert.Equal(0, fresh.Republished);
        }

        using var resumed = PublishWatermark.Open(Path, resuming: true);
        Assert.Equal(10, resumed.PreviousRunPublishedThrough);
    }

    [Fact]
    public void RemoveWatermark_JobComplete_FileGone()
    {
        var files = new JobFiles(System.IO.Path.Combine(_directory, "data.txt"), _directory);
        var watermark = PublishWatermark.Open(files.Published, resuming: false);
        watermark.Keep();

        watermark.Dispose();
        files.RemoveWatermark();

        Assert.False(File.Exists(Path));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
