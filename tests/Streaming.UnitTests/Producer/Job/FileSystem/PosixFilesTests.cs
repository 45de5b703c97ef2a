using System.Diagnostics;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.UnitTests.Producer.Job.FileSystem;

public sealed class PosixFilesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("posix-files-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task OpenInput_Fifo_IsRefusedAtOnceInsteadOfWaitingForAWriter()
    {
        var fifo = Path.Combine(_directory, "pipe.txt");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        var open = Task.Run(() => PosixFiles.OpenInput(fifo));

        var ex = await Assert.ThrowsAsync<IOException>(() => open.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenInput_RegularFileThroughALink_Opens()
    {
        var target = Path.Combine(_directory, "target.txt");
        File.WriteAllText(target, "x\n");
        var link = Path.Combine(_directory, "link.txt");
        File.CreateSymbolicLink(link, target);

        using var handle = PosixFiles.OpenInput(link);

        Assert.Equal(2, RandomAccess.GetLength(handle));
    }
}
