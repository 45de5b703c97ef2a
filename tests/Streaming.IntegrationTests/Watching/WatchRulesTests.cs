using System.Diagnostics;
using System.Text;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Watching;

/// <summary>The rules of the watched folder, with a real watch service, real consumers and a real broker.</summary>
[Collection(WatchCollection.Name)]
public sealed class WatchRulesTests(RabbitMqBroker broker)
{
    private static readonly Dictionary<string, string?> s_smallBatches = new() { ["Producer__BatchLines"] = "200" };

    [Fact]
    public async Task Watch_PipelineInConfiguration_ItsFleetProcessesTheFilesAndTheDefaultFleetNone()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 3000).Select(i => $"watched line {i}\n")));
        // The default pipeline's fleet (identity) would leave the lines as they are: only the pipeline's (upper) may run.
        await harness.Pipeline.StartConsumerAsync("identity");
        var fleet = harness.Pipeline.StartConsumer("upper", extra: ["--pipeline", "watched.fleet"]);
        await fleet.WaitForOutputAsync("Consuming streaming.lines.watched.fleet with", TimeSpan.FromSeconds(90));
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?>
        {
            ["Producer__BatchLines"] = "200",
            ["Producer__Pipeline"] = "watched.fleet",
        });

        harness.Drop("piped.txt", content);
        await harness.WaitForDoneAsync("piped.txt", watcher);

        Assert.Equal(ReferenceOutput.OutputFile("upper", content), File.ReadAllBytes(harness.OutputOf("piped.txt")));
    }

    [Fact]
    public async Task Watch_FileDropped_OutputsRenamedOnlyWhenCompleteAndInputMovedToDone()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 12_000);
        var expected = ReferenceOutput.OutputFile("identity", content);
        await harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "4"]);
        var watcher = await harness.StartWatchAsync(s_smallBatches);

        harness.Drop("report.txt", content);
        var sawPartial = false;
        var sawIncompleteOutput = false;
        await WatchHarness.WaitUntilAsync(() =>
        {
            sawPartial |= File.Exists(Path.Combine(harness.Outbox, "report.txt.out.partial"));
            var output = new FileInfo(harness.OutputOf("report.txt"));
            sawIncompleteOutput |= output.Exists && output.Length != expected.Length;
            return File.Exists(Path.Combine(harness.Done, "report.txt"));
        }, WatchHarness.Run, "report.txt in done/", watcher);

        Assert.True(sawPartial, "the output should have been written under its temporary name first");
        Assert.False(sawIncompleteOutput, "report.txt.out was visible before it was complete");
        Assert.Equal(expected, File.ReadAllBytes(harness.OutputOf("report.txt")));
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(harness.Done, "report.txt")));
        Assert.Equal(ReferenceOutput.SplitLines(content).Count, harness.SummaryOf("report.txt").GetProperty("lines").GetInt64());
        Assert.Equal(["report.txt.out", "report.txt.summary.json"], WatchHarness.List(harness.Outbox));
        Assert.Empty(WatchHarness.List(harness.Processing));
        Assert.Empty(WatchHarness.List(harness.Inbox));
        Assert.Empty(WatchHarness.List(harness.Failed));
    }

    [Fact]
    public async Task Watch_FileStillBeingAppendedTo_TakenOnlyAfterItStopsChanging()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("identity");
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?> { ["Watch__QuietPeriodMilliseconds"] = "3000" });
        var path = Path.Combine(harness.Inbox, "growing.txt");
        var content = new MemoryStream();

        await using (var writer = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite))
        {
            for (var chunk = 0; chunk < 20; chunk++)
            {
                var lines = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 500).Select(i => $"chunk {chunk} line {i}\n")));
                await writer.WriteAsync(lines);
                await writer.FlushAsync();
                content.Write(lines);
                await Task.Delay(100);
            }
        }
        var stillInInbox = File.Exists(path);
        await harness.WaitForDoneAsync("growing.txt", watcher);

        Assert.True(stillInInbox, "the file was taken while it was still being written");
        Assert.Equal(content.ToArray(), File.ReadAllBytes(harness.OutputOf("growing.txt")));
    }

    [Fact]
    public async Task Watch_HiddenAndTemporaryNames_LeftAloneWhileOthersAreProcessed()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("identity");
        var watcher = await harness.StartWatchAsync();
        string[] ignored = [".hidden.txt", "upload.tmp", "upload.TMP2.tmp", "data.txt.part", "data.txt.partial", "big.PARTIAL"];
        Directory.CreateDirectory(harness.Inbox);
        foreach (var name in ignored)
        {
            await File.WriteAllTextAsync(Path.Combine(harness.Inbox, name), "do not touch\n");
        }

        await Task.Delay(TimeSpan.FromSeconds(1));     // several polls and quiet periods with only ignored names present
        harness.Drop("normal.txt", "processed\n"u8.ToArray());
        await harness.WaitForDoneAsync("normal.txt", watcher);

        Assert.Equal(ignored.Order(StringComparer.Ordinal), WatchHarness.List(harness.Inbox));
        Assert.Equal(["normal.txt.out", "normal.txt.summary.json"], WatchHarness.List(harness.Outbox));
        Assert.Empty(WatchHarness.List(harness.Failed));
    }

    [Fact]
    public async Task Watch_EntriesThatCannotBeRead_GoToFailedWithTheReasonAndTheServiceGoesOn()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("identity");
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?> { ["Watch__FollowSymlinks"] = "true" });
        var elsewhere = Path.Combine(harness.Pipeline.Directory, "elsewhere.txt");
        await File.WriteAllTextAsync(elsewhere, "read through a link\n");
        Directory.CreateDirectory(harness.Inbox);

        Directory.CreateDirectory(Path.Combine(harness.Inbox, "folder.txt", "inside"));
        File.CreateSymbolicLink(Path.Combine(harness.Inbox, "dangling.txt"), Path.Combine(harness.Pipeline.Directory, "nowhere"));
        File.CreateSymbolicLink(Path.Combine(harness.Inbox, "dirlink.txt"), harness.Pipeline.Directory);
        MakeFifo(Path.Combine(harness.Inbox, "pipe.txt"));
        File.CreateSymbolicLink(Path.Combine(harness.Inbox, "linked.txt"), elsewhere);
        harness.Drop("good.txt", "fine\n"u8.ToArray());

        await harness.WaitForDoneAsync("good.txt", watcher);
        await harness.WaitForDoneAsync("linked.txt", watcher);
        await WatchHarness.WaitUntilAsync(() => WatchHarness.List(harness.Failed).Count == 8, WatchHarness.Run, "four entries and their reasons in failed/", watcher);

        Assert.Equal(
            ["dangling.txt", "dangling.txt.reason", "dirlink.txt", "dirlink.txt.reason", "folder.txt", "folder.txt.reason", "pipe.txt", "pipe.txt.reason"],
            WatchHarness.List(harness.Failed));
        AssertReason(harness, "folder.txt", "it is a directory, not a file");
        AssertReason(harness, "dangling.txt", "symbolic link whose target does not exist");
        AssertReason(harness, "dirlink.txt", "symbolic link to a directory");
        AssertReason(harness, "pipe.txt", "FIFO");
        Assert.True(Directory.Exists(Path.Combine(harness.Failed, "folder.txt", "inside")), "the directory is moved whole");
        Assert.Equal("fine\n", await File.ReadAllTextAsync(harness.OutputOf("good.txt")));
        Assert.Equal("read through a link\n", await File.ReadAllTextAsync(harness.OutputOf("linked.txt")));
        Assert.Empty(WatchHarness.List(harness.Inbox));
        Assert.False(watcher.HasExited, watcher.Describe());
    }

    [Fact]
    public async Task Watch_SymbolicLinkInTheInboxByDefault_GoesToFailedUnreadWithTheReason()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("identity");
        var watcher = await harness.StartWatchAsync();
        Directory.CreateDirectory(harness.Inbox);

        // The finding: a link to the service's own environment streamed its broker password into outbox/.
        File.CreateSymbolicLink(Path.Combine(harness.Inbox, "environ.txt"), "/proc/self/environ");
        harness.Drop("good.txt", "fine\n"u8.ToArray());

        await harness.WaitForDoneAsync("good.txt", watcher);
        await WatchHarness.WaitUntilAsync(() => WatchHarness.List(harness.Failed).Count == 2, WatchHarness.Run, "the link and its reason in failed/", watcher);

        Assert.Equal(["environ.txt", "environ.txt.reason"], WatchHarness.List(harness.Failed));
        AssertReason(harness, "environ.txt", "Watch:FollowSymlinks is off");
        Assert.False(File.Exists(harness.OutputOf("environ.txt")), "the link was read");
        Assert.DoesNotContain(WatchHarness.List(harness.Outbox), name => name.StartsWith("environ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_FileDeletedAfterItWasListed_ReasonInFailed()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?> { ["Watch__QuietPeriodMilliseconds"] = "5000" });

        // Written in place, not renamed from a hidden name (that would be taken at once, as complete).
        Directory.CreateDirectory(harness.Inbox);
        var path = Path.Combine(harness.Inbox, "fleeting.txt");
        await File.WriteAllTextAsync(path, "here for a moment\n");
        await watcher.WaitForOutputAsync("Inbox: fleeting.txt seen", TimeSpan.FromSeconds(30));
        File.Delete(path);
        var reasonFile = Path.Combine(harness.Failed, "fleeting.txt.reason");
        await WatchHarness.WaitUntilAsync(() => File.Exists(reasonFile), TimeSpan.FromSeconds(60), "fleeting.txt.reason", watcher);

        AssertReason(harness, "fleeting.txt", "disappeared from the inbox before it could be taken");
        Assert.Equal(["fleeting.txt.reason"], WatchHarness.List(harness.Failed));
    }

    [Fact]
    public async Task Watch_SameNameDroppedTwice_SecondGetsACounterAndNothingIsOverwritten()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("upper");
        var watcher = await harness.StartWatchAsync();

        harness.Drop("twice.txt", "first\n"u8.ToArray());
        await harness.WaitForDoneAsync("twice.txt", watcher);
        harness.Drop("twice.txt", "second\n"u8.ToArray());
        await harness.WaitForDoneAsync("twice.2.txt", watcher);

        Assert.Equal("FIRST\n", await File.ReadAllTextAsync(harness.OutputOf("twice.txt")));
        Assert.Equal("SECOND\n", await File.ReadAllTextAsync(harness.OutputOf("twice.2.txt")));
        Assert.Equal("first\n", await File.ReadAllTextAsync(Path.Combine(harness.Done, "twice.txt")));
        Assert.Equal("second\n", await File.ReadAllTextAsync(Path.Combine(harness.Done, "twice.2.txt")));
        await watcher.WaitForOutputAsync("twice.txt taken into processing/ as twice.2.txt", WatchHarness.LogWait);
    }

    [Fact]
    public async Task Watch_SigtermWithAFileInFlight_ExitsZeroWithinThirtySecondsAndTheNextStartFinishesIt()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        await harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);
        var first = await harness.StartWatchAsync(s_smallBatches);
        harness.Drop("interrupted.txt", content);
        await WatchHarness.WaitUntilAsync(
            () => File.Exists(Path.Combine(harness.Outbox, "interrupted.txt.checkpoint.json")), WatchHarness.Run, "a checkpoint", first);

        var clock = Stopwatch.StartNew();
        first.Terminate();
        var exit = await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var stoppedIn = clock.Elapsed;
        var leftInProcessing = File.Exists(Path.Combine(harness.Processing, "interrupted.txt"));
        var second = await harness.StartWatchAsync(s_smallBatches);
        await harness.WaitForDoneAsync("interrupted.txt", second);

        Assert.True(exit == 0, first.Describe());
        Assert.True(stoppedIn < TimeSpan.FromSeconds(30), $"stopped in {stoppedIn}");
        Assert.True(leftInProcessing, "the file in flight should stay in processing/ for the next start");
        await second.WaitForOutputAsync("resuming interrupted.txt", WatchHarness.LogWait);
        await second.WaitForOutputAsync("resumes at line", WatchHarness.LogWait);
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(harness.OutputOf("interrupted.txt")));
    }

    [Fact]
    public async Task Watch_OutboxIsALinkToTheInbox_RefusedAtStartWithOneLineAndExitTwo()
    {
        var directory = Directory.CreateTempSubdirectory("streaming-watch-linked-").FullName;
        try
        {
            var data = Path.Combine(directory, "data");
            Directory.CreateDirectory(Path.Combine(data, "inbox"));
            Directory.CreateSymbolicLink(Path.Combine(data, "outbox"), Path.Combine(data, "inbox"));
            await using var watcher = ServiceProcess.StartProducer(["watch", "--data", data, "--rabbitmq", "amqp://guest:guest@127.0.0.1:1/"]);

            var code = await watcher.WaitForExitAsync(TimeSpan.FromSeconds(60));

            Assert.True(code == 2, watcher.Describe());
            var lines = watcher.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, watcher.Describe());
            Assert.Contains("are the same folder", lines[0], StringComparison.Ordinal);
            Assert.Empty(WatchHarness.List(Path.Combine(data, "inbox")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void AssertReason(WatchHarness harness, string name, string expected)
    {
        var reason = File.ReadAllText(Path.Combine(harness.Failed, name + ".reason"));
        Assert.StartsWith(name + ": ", reason, StringComparison.Ordinal);
        Assert.Contains(expected, reason, StringComparison.Ordinal);
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
