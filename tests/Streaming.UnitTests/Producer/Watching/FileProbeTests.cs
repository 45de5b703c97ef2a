using System.Diagnostics;
using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Producer.Watching;

/// <summary>Looks at real entries of a temporary folder: no entry is ever opened (a FIFO would block).</summary>
public sealed class FileProbeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-probe-").FullName;

    [Fact]
    public void Probe_RegularFile_SizeAndModificationTime()
    {
        var path = Write("data.txt", "hello\n");
        var modified = File.GetLastWriteTimeUtc(path);

        var status = FileProbe.Probe(path);

        Assert.Equal(EntryKind.RegularFile, status.Kind);
        Assert.False(status.IsSymlink);
        Assert.Equal(6, status.Size);
        Assert.Equal((modified - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerSecond, status.ModifiedNanoseconds / 1_000_000_000);
        Assert.Null(status.Unprocessable);
    }

    [Fact]
    public void Probe_FileAppendedTo_DifferentStatus()
    {
        var path = Write("growing.txt", "a\n");
        var before = FileProbe.Probe(path);

        File.AppendAllText(path, "b\n");

        Assert.NotEqual(before, FileProbe.Probe(path));
    }

    [Fact]
    public void Probe_Directory_NotProcessable()
    {
        var path = Directory.CreateDirectory(Path.Combine(_directory, "looks-like.txt")).FullName;

        var status = FileProbe.Probe(path);

        Assert.Equal(EntryKind.Directory, status.Kind);
        Assert.Contains("directory", status.Unprocessable, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_Fifo_NotProcessableAndNotOpened()
    {
        var path = Path.Combine(_directory, "pipe.txt");
        MakeFifo(path);

        var status = FileProbe.Probe(path);

        Assert.Equal(EntryKind.Fifo, status.Kind);
        Assert.Contains("FIFO", status.Unprocessable, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_DanglingSymlink_NotProcessable()
    {
        var path = Path.Combine(_directory, "dangling.txt");
        File.CreateSymbolicLink(path, Path.Combine(_directory, "nowhere"));

        var status = FileProbe.Probe(path);

        Assert.Equal(EntryKind.DanglingSymlink, status.Kind);
        Assert.True(status.IsSymlink);
        Assert.Contains("does not exist", status.Unprocessable, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_SymlinkToFile_DescribesTheTarget()
    {
        var target = Write("target.txt", "0123456789");
        var path = Path.Combine(_directory, "link.txt");
        File.CreateSymbolicLink(path, target);

        var status = FileProbe.Probe(path);

        Assert.Equal(EntryKind.RegularFile, status.Kind);
        Assert.True(status.IsSymlink);
        Assert.Equal(10, status.Size);
        Assert.Null(status.Unprocessable);
    }

    [Fact]
    public void Probe_SymlinkToDirectory_NotProcessable()
    {
        var path = Path.Combine(_directory, "dir-link.txt");
        File.CreateSymbolicLink(path, _directory);

        var status = FileProbe.Probe(path);

        Assert.Equal(EntryKind.Directory, status.Kind);
        Assert.Contains("symbolic link to a directory", status.Unprocessable, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_NothingThere_Missing() =>
        Assert.Equal(EntryKind.Missing, FileProbe.Probe(Path.Combine(_directory, "absent.txt")).Kind);

    internal static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
