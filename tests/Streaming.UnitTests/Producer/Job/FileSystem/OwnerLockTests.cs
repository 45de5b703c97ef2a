using System.Diagnostics;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.UnitTests.Producer.Job.FileSystem;

public sealed class OwnerLockTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("owner-lock-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void TryAcquire_HeldByThisProcessAlready_FailsNamingThisProcess()
    {
        var path = Path.Combine(_directory, "x.lock");
        using var first = OwnerLock.TryAcquire(path, out _);
        Assert.NotNull(first);

        var second = OwnerLock.TryAcquire(path, out var holder);

        Assert.Null(second);
        Assert.Equal(Environment.ProcessId, holder);
    }

    [Fact]
    public async Task TryAcquire_HeldByAnotherProcess_Fails()
    {
        var path = Path.Combine(_directory, "x.lock");
        var start = new ProcessStartInfo("flock", ["--exclusive", path, "--command", "echo locked; exec sleep 30"])
        {
            RedirectStandardOutput = true,
        };
        using var holder = Process.Start(start)!;
        try
        {
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));

            var acquired = OwnerLock.TryAcquire(path, out var pid);

            Assert.Null(acquired);
            Assert.Equal(0, pid);   // flock(1) writes no PID into the file: the holder is unknown, not guessed
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void Dispose_ReleasesAndDeletes_SoTheNextOwnerGetsIt()
    {
        var path = Path.Combine(_directory, "x.lock");
        OwnerLock.TryAcquire(path, out _)!.Dispose();

        Assert.False(File.Exists(path));
        using var next = OwnerLock.TryAcquire(path, out _);
        Assert.NotNull(next);
        Assert.True(File.Exists(path));
    }
}
