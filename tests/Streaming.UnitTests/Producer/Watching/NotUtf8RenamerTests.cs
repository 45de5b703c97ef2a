using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Producer.Watching;

public sealed class NotUtf8RenamerTests : IDisposable
{
    private readonly string _inbox = Directory.CreateTempSubdirectory("streaming-raw-").FullName;

    [Theory]
    [InlineData(new byte[] { 0x63, 0x61, 0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74 }, "caf%E9.txt")]
    [InlineData(new byte[] { 0xC3, 0xA9, 0xFF, 0x2E, 0x6C, 0x6F, 0x67 }, "é%FF.log")]
    [InlineData(new byte[] { 0x61, 0xE2, 0x82 }, "a%E2%82")]
    public void Escape_InvalidBytes_WrittenAsPercentHexAndValidUtf8Kept(byte[] raw, string expected) =>
        Assert.Equal(expected, RawNames.Escape(raw));

    [Fact]
    public void Escape_NameThatWouldBeTooLong_CutKeepingTheExtension()
    {
        var raw = Enumerable.Repeat((byte)0xE9, 200).Concat(".txt"u8.ToArray()).ToArray();

        var escaped = RawNames.Escape(raw);

        Assert.True(System.Text.Encoding.UTF8.GetByteCount(escaped) <= 247, escaped);
        Assert.EndsWith(".txt", escaped, StringComparison.Ordinal);
    }

    [Fact]
    public void Rename_EntryListedWithANameNotUtf8_RenamedOnceThenScannedLikeAnyOther()
    {
        CreateRaw("caf\\351.txt");
        using var scanner = new InboxScanner(_inbox, new StabilityTracker(TimeSpan.Zero, 10));
        var renamer = new NotUtf8Renamer(_inbox, NullLogger.Instance);

        var first = scanner.Scan(TimeSpan.Zero);
        Assert.Equal(["caf\uFFFD.txt"], first.NotUtf8);
        Assert.Empty(first.Vanished);
        renamer.Rename(first.NotUtf8);
        var second = scanner.Scan(TimeSpan.FromSeconds(1));

        Assert.Equal(["caf%E9.txt"], Directory.EnumerateFiles(_inbox).Select(Path.GetFileName));
        Assert.Equal(["caf%E9.txt"], second.Ready);
        Assert.Empty(second.NotUtf8);
    }

    [Fact]
    public void Rename_EscapedNameTaken_NextCounter()
    {
        File.WriteAllText(Path.Combine(_inbox, "caf%E9.txt"), "earlier\n");
        CreateRaw("caf\\351.txt");

        new NotUtf8Renamer(_inbox, NullLogger.Instance).Rename(["caf\uFFFD.txt"]);

        Assert.Equal(["caf%E9.2.txt", "caf%E9.txt"], Directory.EnumerateFiles(_inbox).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("earlier\n", File.ReadAllText(Path.Combine(_inbox, "caf%E9.txt")));
    }

    [Fact]
    public void DescribeUnreachable_PathAsDotNetShowsANameNotUtf8_SaysWhyAndShowsTheName()
    {
        CreateRaw("caf\\351.txt");

        var reason = RawNames.DescribeUnreachable(Path.Combine(_inbox, "caf\uFFFD.txt"));

        Assert.NotNull(reason);
        Assert.Contains("not valid UTF-8", reason, StringComparison.Ordinal);
        Assert.Contains("caf%E9.txt", reason, StringComparison.Ordinal);
        Assert.Null(RawNames.DescribeUnreachable(Path.Combine(_inbox, "other\uFFFD.txt")));
        Assert.Null(RawNames.DescribeUnreachable(Path.Combine(_inbox, "plain.txt")));
    }

    /// <summary>.NET cannot delete a name that is not UTF-8: rm(1) can.</summary>
    public void Dispose()
    {
        using var rm = Process.Start(new ProcessStartInfo("rm", ["-rf", _inbox]) { UseShellExecute = false })!;
        rm.WaitForExit();
    }

    private void CreateRaw(string printfName)
    {
        using var shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "printf 'x\\n' > \"$1/$(printf \"$2\")\"", "sh", _inbox, printfName])
        {
            UseShellExecute = false,
        })!;
        shell.WaitForExit();
        Assert.Equal(0, shell.ExitCode);
    }
}
