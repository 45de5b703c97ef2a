using Microsoft.Extensions.Time.Testing;
using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Producer.Watching;

public sealed class RemovalWatchTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("removal-watch-").FullName;

    [Fact]
    public async Task RemovalWatch_FileRemoved_CancelsRemovedAtTheNextLook()
    {
        var path = Path.Combine(_directory, "input.txt");
        await File.WriteAllTextAsync(path, "a\n");
        var time = new FakeTimeProvider();
        await using var watch = new RemovalWatch(path, time, CancellationToken.None);

        File.Delete(path);
        Assert.False(watch.Removed.IsCancellationRequested);
        time.Advance(RemovalWatch.Interval);

        Assert.True(watch.Removed.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)));
        Assert.True(watch.WasRemoved);
    }

    /// <summary>Every job of a watch service ends by stopping its removal watch: hundreds a second with small files, so
    /// stopping must not throw (and unwind) an exception each time.</summary>
    [Fact]
    public async Task DisposeAsync_FileStillThere_StopsWithoutThrowingAnything()
    {
        var path = Path.Combine(_directory, "input.txt");
        await File.WriteAllTextAsync(path, "a\n");
        var time = new FakeTimeProvider();
        using var thrown = ThrownExceptions.Watch();
        var watch = new RemovalWatch(path, time, CancellationToken.None);
        time.Advance(RemovalWatch.Interval);

        await watch.DisposeAsync();

        Assert.False(watch.WasRemoved);
        Assert.Empty(thrown.Thrown);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
