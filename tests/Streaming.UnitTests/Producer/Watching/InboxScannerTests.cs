using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Producer.Watching;

public sealed class InboxScannerTests : IDisposable
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromSeconds(1);
    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-scanner-").FullName;
    private readonly string _inbox;
    private readonly string _taken;

    public InboxScannerTests()
    {
        _inbox = Directory.CreateDirectory(Path.Combine(_directory, "inbox")).FullName;
        _taken = Directory.CreateDirectory(Path.Combine(_directory, "taken")).FullName;
    }

    [Fact]
    public void Scan_MoreEntriesThanOneScanLists_NoFileStillThereIsVanishedAndEveryFileIsTaken()
    {
        // The finding: the listing was cut at its first N entries, and a tracked file that fell past the cut (new files
        // listed before it) was declared vanished and failed although it never moved.
        const int perScan = 4;
        using var scanner = new InboxScanner(_inbox, new StabilityTracker(s_quiet, perScan), perScan);
        var dropped = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            dropped.Add(Drop($"first-{i:D2}.txt"));
        }
        var taken = new List<string>();
        var now = TimeSpan.Zero;
        for (var round = 0; round < 200 && taken.Count < dropped.Count; round++)
        {
            var scan = scanner.Scan(now);

            Assert.Empty(scan.Vanished);
            foreach (var name in scan.Ready)
            {
                File.Move(Path.Combine(_inbox, name), Path.Combine(_taken, name));
                scanner.Forget(name);
                taken.Add(name);
            }
            if (round < 10)
            {
                // New arrivals land anywhere in the listing's order.
                dropped.Add(Drop($"later-{round:D2}-a.txt"));
                dropped.Add(Drop($"later-{round:D2}-b.txt"));
            }
            now += TimeSpan.FromMilliseconds(600);
        }

        Assert.Equal(dropped.Order(StringComparer.Ordinal), taken.Order(StringComparer.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_inbox));
    }

    [Fact]
    public void Scan_TrackedFileDeleted_ReportedVanishedOnce()
    {
        using var scanner = new InboxScanner(_inbox, new StabilityTracker(TimeSpan.FromSeconds(10), 100), 100);
        Drop("stays.txt");
        var fleeting = Drop("fleeting.txt");
        Assert.Equal(["fleeting.txt", "stays.txt"], scanner.Scan(TimeSpan.Zero).NewlySeen.Order(StringComparer.Ordinal));

        File.Delete(Path.Combine(_inbox, fleeting));

        Assert.Equal(["fleeting.txt"], scanner.Scan(TimeSpan.FromSeconds(1)).Vanished);
        Assert.Empty(scanner.Scan(TimeSpan.FromSeconds(2)).Vanished);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Drop(string name)
    {
        File.WriteAllText(Path.Combine(_inbox, name), name + "\n");
        return name;
    }
}
