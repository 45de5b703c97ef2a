using Streaming.Messaging.Topology;
using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Producer.Watching;

public sealed class WatchFoldersTests : IDisposable
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-folders-").FullName;
    private readonly WatchFolders _folders;

    public WatchFoldersTests()
    {
        _folders = new WatchFolders(Path.Combine(_directory, "data"));
        _folders.Create();
    }

    [Fact]
    public void Create_AllSixFolders()
    {
        foreach (var name in new[] { "inbox", "processing", "outbox", "done", "failed", "redrive" })
        {
            Assert.True(Directory.Exists(Path.Combine(_folders.Data, name)), name);
        }
    }

    [Fact]
    public void RecordResultsQueue_FirstStartThenASecond_ReturnsTheQueueOfTheServiceBefore()
    {
        var first = QueueNames.ResultsQueue(Guid.NewGuid());
        var second = QueueNames.ResultsQueue(Guid.NewGuid());

        Assert.Null(_folders.RecordResultsQueue(first));
        Assert.Equal(first, _folders.RecordResultsQueue(second));
        Assert.Null(_folders.RecordResultsQueue(second));
        Assert.Equal(second, File.ReadAllText(_folders.ResultsQueueRecord));
        Assert.False(File.Exists(_folders.ResultsQueueRecord + ".tmp"));
    }

    /// <summary>Only a results queue's name is ever forgotten: a record edited into anything else names none.</summary>
    [Theory]
    [InlineData("streaming.lines")]
    [InlineData("")]
    [InlineData("streaming.results.not-a-guid")]
    public void RecordResultsQueue_RecordNamesNoResultsQueue_ReturnsNull(string record)
    {
        File.WriteAllText(_folders.ResultsQueueRecord, record);

        Assert.Null(_folders.RecordResultsQueue(QueueNames.ResultsQueue(Guid.NewGuid())));
    }

    [Fact]
    public void ChooseProcessingName_NameUnused_KeepsIt() =>
        Assert.Equal("data.txt", _folders.ChooseProcessingName("data.txt"));

    [Theory]
    [InlineData("outbox", "data.txt.out")]
    [InlineData("outbox", "data.txt.summary.json")]
    [InlineData("outbox", "data.txt.out.partial")]
    [InlineData("outbox", "data.txt.checkpoint.json")]
    [InlineData("done", "data.txt")]
    [InlineData("processing", "data.txt")]
    public void ChooseProcessingName_EarlierFileOrResultOfThatName_TakesTheNextCounter(string folder, string existing)
    {
        File.WriteAllText(Path.Combine(_folders.Data, folder, existing), "earlier");

        Assert.Equal("data.2.txt", _folders.ChooseProcessingName("data.txt"));
    }

    [Fact]
    public void ChooseProcessingName_SeveralTaken_FirstFreeCounter()
    {
        File.WriteAllText(Path.Combine(_folders.Done, "data.txt"), "1");
        File.WriteAllText(Path.Combine(_folders.Outbox, "data.2.txt.out"), "2");

        Assert.Equal("data.3.txt", _folders.ChooseProcessingName("data.txt"));
    }

    [Fact]
    public void TakeThenMoveToDone_RenamesWithoutCopying()
    {
        var inbox = Path.Combine(_folders.Inbox, "data.txt");
        File.WriteAllText(inbox, "content");
        var inode = File.GetLastWriteTimeUtc(inbox);

        var processing = _folders.MoveToProcessing("data.txt", "data.2.txt");
        _folders.SyncTaken();
        var done = _folders.MoveToDone("data.2.txt");

        Assert.False(File.Exists(inbox));
        Assert.False(File.Exists(processing));
        Assert.Equal(Path.Combine(_folders.Done, "data.2.txt"), done);
        Assert.Equal("content", File.ReadAllText(done));
        Assert.Equal(inode, File.GetLastWriteTimeUtc(done));
    }

    [Fact]
    public void MoveToFailed_Directory_MovedWithItsReasonBeside()
    {
        var path = Directory.CreateDirectory(Path.Combine(_folders.Inbox, "looks-like.txt")).FullName;
        File.WriteAllText(Path.Combine(path, "inside"), "x");

        var reasonFile = _folders.MoveToFailed(path, "it is a directory, not a file", s_now);

        Assert.False(Directory.Exists(path));
        Assert.True(File.Exists(Path.Combine(_folders.Failed, "looks-like.txt", "inside")));
        Assert.Equal(Path.Combine(_folders.Failed, "looks-like.txt.reason"), reasonFile);
        var reason = File.ReadAllText(reasonFile);
        Assert.StartsWith("looks-like.txt: it is a directory, not a file", reason, StringComparison.Ordinal);
        Assert.Contains("2026-11-28T06:00:00Z", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MoveToFailed_DanglingSymlinkAndFifo_MovedAsThemselves()
    {
        var link = Path.Combine(_folders.Inbox, "dangling.txt");
        File.CreateSymbolicLink(link, Path.Combine(_directory, "nowhere"));
        var fifo = Path.Combine(_folders.Inbox, "pipe.txt");
        FileProbeTests.MakeFifo(fifo);

        _folders.MoveToFailed(link, "dangling", s_now);
        _folders.MoveToFailed(fifo, "fifo", s_now);

        Assert.Equal(EntryKind.DanglingSymlink, FileProbe.Probe(Path.Combine(_folders.Failed, "dangling.txt")).Kind);
        Assert.Equal(EntryKind.Fifo, FileProbe.Probe(Path.Combine(_folders.Failed, "pipe.txt")).Kind);
        Assert.Equal(EntryKind.Missing, FileProbe.Probe(link).Kind);
        Assert.Equal(EntryKind.Missing, FileProbe.Probe(fifo).Kind);
    }

    [Fact]
    public void MoveToFailed_SymlinkToDirectory_MovesTheLinkNotTheDirectory()
    {
        var target = Directory.CreateDirectory(Path.Combine(_directory, "target")).FullName;
        var link = Path.Combine(_folders.Inbox, "dirlink.txt");
        File.CreateSymbolicLink(link, target);

        _folders.MoveToFailed(link, "link to a directory", s_now);

        Assert.True(Directory.Exists(target));
        Assert.Equal(target, new FileInfo(Path.Combine(_folders.Failed, "dirlink.txt")).LinkTarget);
        Assert.False(Path.Exists(link));
    }

    [Fact]
    public void MoveToFailed_NothingLeft_OnlyTheReason()
    {
        var reasonFile = _folders.MoveToFailed(Path.Combine(_folders.Inbox, "gone.txt"), "deleted after it was listed", s_now);

        Assert.Equal(Path.Combine(_folders.Failed, "gone.txt.reason"), reasonFile);
        Assert.False(Path.Exists(Path.Combine(_folders.Failed, "gone.txt")));
        Assert.Contains("nothing left to move", File.ReadAllText(reasonFile), StringComparison.Ordinal);
    }

    [Fact]
    public void MoveToFailed_SameNameTwice_KeepsBothWithTheirReasons()
    {
        File.WriteAllText(Path.Combine(_folders.Inbox, "bad.txt"), "first");
        _folders.MoveToFailed(Path.Combine(_folders.Inbox, "bad.txt"), "first reason", s_now);
        File.WriteAllText(Path.Combine(_folders.Inbox, "bad.txt"), "second");

        var reasonFile = _folders.MoveToFailed(Path.Combine(_folders.Inbox, "bad.txt"), "second reason", s_now);

        Assert.Equal(Path.Combine(_folders.Failed, "bad.2.txt.reason"), reasonFile);
        Assert.Equal("first", File.ReadAllText(Path.Combine(_folders.Failed, "bad.txt")));
        Assert.Equal("second", File.ReadAllText(Path.Combine(_folders.Failed, "bad.2.txt")));
        Assert.Contains("first reason", File.ReadAllText(Path.Combine(_folders.Failed, "bad.txt.reason")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("outbox", "inbox")]
    [InlineData("done", "processing")]
    [InlineData("failed", "outbox")]
    [InlineData("inbox", ".")]
    [InlineData("redrive", "inbox")]
    public void Create_TwoFoldersThatAreOne_RefusedNamingBoth(string link, string target)
    {
        // The finding: an outbox linked to the inbox took every output as a new input, without end.
        var data = Directory.CreateDirectory(Path.Combine(_directory, "linked")).FullName;
        Directory.CreateDirectory(Path.Combine(data, target));
        Directory.CreateSymbolicLink(Path.Combine(data, link), target == "." ? data : Path.Combine(data, target));

        var refusal = Assert.Throws<IOException>(new WatchFolders(data).Create);

        Assert.Contains($"'{Path.Combine(data, link)}'", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("are the same folder", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_FolderLinkedToAFolderOfItsOwn_Accepted()
    {
        var data = Directory.CreateDirectory(Path.Combine(_directory, "elsewhere")).FullName;
        var outbox = Directory.CreateDirectory(Path.Combine(_directory, "shared-outbox")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(data, "outbox"), outbox);

        new WatchFolders(data).Create();

        Assert.True(Directory.Exists(Path.Combine(data, "inbox")));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
