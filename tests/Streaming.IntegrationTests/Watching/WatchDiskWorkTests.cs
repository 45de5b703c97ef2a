using System.Globalization;
using System.Text;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Watching;

/// <summary>
/// What a folder of small files costs the disk: the watch service's system calls (strace), counted per file. A small
/// file's time went to creating, syncing and deleting files, and to fsyncs run one after another on the service's loop.
/// (That no checkpoint is written once every result is in depends on timing here: ResultCollectorCheckpointTests.)
/// </summary>
[Collection(WatchCollection.Name)]
public sealed class WatchDiskWorkTests(RabbitMqBroker broker)
{
    private const int Files = 24;

    [Fact]
    public async Task Watch_SmallFilesDroppedAtOnce_TakenWithOneSyncPerGroupAndNoErrorsFile()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("identity");
        var contents = Enumerable.Range(1, Files)
            .ToDictionary(i => $"small-{i:D2}.txt", i => Encoding.UTF8.GetBytes($"file {i} line 1\nfile {i} line 2\n"));
        foreach (var (name, content) in contents)
        {
            harness.Drop(name, content);
        }
        var trace = Path.Combine(harness.Pipeline.Directory, "strace.log");
        var (executable, arguments) = ServiceBinaries.Command(ServiceBinaries.Producer);
        await using var watcher = ServiceProcess.Start("strace",
            ["-f", "-qq", "-y", "-e", "trace=openat,fsync", "-o", trace, executable, .. arguments,
                "watch", "--data", harness.Data, "--rabbitmq", harness.Pipeline.Uri],
            new Dictionary<string, string?> { ["Watch__QuietPeriodMilliseconds"] = "300" });

        foreach (var name in contents.Keys)
        {
            await harness.WaitForDoneAsync(name, watcher);
        }
        // strace ignores signals while it runs a command: the watch service is stopped, and strace ends with it.
        var watch = int.Parse(File.ReadAllText($"/proc/{watcher.Id}/task/{watcher.Id}/children").Split(' ')[0], CultureInfo.InvariantCulture);
        PosixSignals.Send(watch, PosixSignals.Terminate);
        Assert.Equal(0, await watcher.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        foreach (var (name, content) in contents)
        {
            Assert.Equal(content, File.ReadAllBytes(harness.OutputOf(name)));
        }
        var calls = await File.ReadAllLinesAsync(trace);
        var inboxSyncs = calls.Count(c => c.Contains($"fsync({FirstNumber(c)}<{harness.Inbox}>)", StringComparison.Ordinal));
        Assert.InRange(inboxSyncs, 1, Files / 4);
        Assert.DoesNotContain(calls, c => c.Contains(".errors.jsonl.partial\"", StringComparison.Ordinal) && c.Contains("O_CREAT", StringComparison.Ordinal));
    }

    /// <summary>The file descriptor of an fsync line (<c>1234 fsync(17&lt;/path&gt;) = 0</c>).</summary>
    private static string FirstNumber(string call)
    {
        var start = call.IndexOf("fsync(", StringComparison.Ordinal);
        if (start < 0)
        {
            return "-";
        }
        start += "fsync(".Length;
        var end = start;
        while (end < call.Length && char.IsAsciiDigit(call[end]))
        {
            end++;
        }
        return call[start..end];
    }
}
