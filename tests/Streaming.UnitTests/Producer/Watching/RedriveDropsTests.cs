using Microsoft.Extensions.Time.Testing;
using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Producer.Watching;

public sealed class RedriveDropsTests : IDisposable
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromSeconds(2);
    private static readonly DateTime s_written = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private readonly string _folder = Directory.CreateTempSubdirectory("streaming-redrive-drops-").FullName;

    [Fact]
    public void OldestQuiet_DropWrittenLessThanTheQuietPeriodAgo_NotYetThenTaken()
    {
        var drop = Drop("data.txt.errors.jsonl", s_written);
        var time = new FakeTimeProvider(s_written + TimeSpan.FromSeconds(1));

        Assert.Null(RedriveDrops.OldestQuiet(_folder, s_quiet, time));

        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(drop, RedriveDrops.OldestQuiet(_folder, s_quiet, time));
    }

    [Fact]
    public void OldestQuiet_TwoQuietDropsAndOtherFiles_TheOneWrittenFirst()
    {
        Drop("later.txt.errors.jsonl", s_written.AddSeconds(1));
        var first = Drop("first.txt.errors.jsonl", s_written);
        Drop(".hidden.errors.jsonl", s_written.AddSeconds(-1));
        Drop("notes.txt", s_written.AddSeconds(-1));
        var time = new FakeTimeProvider(s_written + TimeSpan.FromMinutes(1));

        Assert.Equal(first, RedriveDrops.OldestQuiet(_folder, s_quiet, time));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Drop(string name, DateTime written)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, "{\"line\":1,\"error\":\"x\"}\n");
        File.SetLastWriteTimeUtc(path, written);
        return path;
    }
}
