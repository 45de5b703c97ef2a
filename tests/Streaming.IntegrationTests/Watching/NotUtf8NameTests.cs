using System.Diagnostics;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Watching;

/// <summary>
/// A file whose name is not valid UTF-8 (here <c>caf\xE9.txt</c>, Latin-1): .NET lists it with U+FFFD in place of the
/// invalid byte and cannot open it by that name. The finding: watch wrote a new reason to failed/ for it on every poll
/// and never moved it; publish said it does not exist.
/// </summary>
[Collection(WatchCollection.Name)]
public sealed class NotUtf8NameTests(RabbitMqBroker broker)
{
    private const string RawName = "caf\\351.txt";     // octal escape, for printf(1)
    private const string EscapedName = "caf%E9.txt";

    [Fact]
    public async Task Watch_NameNotValidUtf8_RenamedOnceAndProcessed()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("identity");
        var watcher = await harness.StartWatchAsync();

        await CreateRawAsync(harness.Inbox, "caf\\n");
        await harness.WaitForDoneAsync(EscapedName, watcher, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(1));     // several polls: a loop would show by now

        Assert.Equal("caf\n", await File.ReadAllTextAsync(harness.OutputOf(EscapedName)));
        Assert.Empty(WatchHarness.List(harness.Failed));
        Assert.Empty(WatchHarness.List(harness.Inbox));
        Assert.Single(watcher.StandardError.Split('\n'), line => line.Contains($"renamed to {EscapedName}", StringComparison.Ordinal));
        Assert.DoesNotContain("Failed:", watcher.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_NameNotValidUtf8_OneTrueLineAndExitTwo()
    {
        var directory = Directory.CreateTempSubdirectory("streaming-raw-name-").FullName;
        try
        {
            await CreateRawAsync(directory, "caf\\n");
            var (host, prefix) = ServiceBinaries.Command(ServiceBinaries.Producer);
            // The name goes through a shell: a .NET process cannot put bytes that are not UTF-8 on a command line.
            await using var producer = ServiceProcess.Start("/bin/sh",
                ["-c", $"exec \"$@\" publish \"{directory}/$(printf '{RawName}')\" --wait --rabbitmq amqp://guest:guest@127.0.0.1:1/",
                 "sh", host, .. prefix]);

            var code = await producer.WaitForExitAsync(TimeSpan.FromSeconds(60));

            Assert.True(code == 2, producer.Describe());
            var lines = producer.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, producer.Describe());
            Assert.Contains("not valid UTF-8", lines[0], StringComparison.Ordinal);
            Assert.Contains(EscapedName, lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("does not exist", lines[0], StringComparison.Ordinal);
        }
        finally
        {
            // .NET cannot delete a name that is not UTF-8: rm(1) can.
            using var rm = Process.Start(new ProcessStartInfo("rm", ["-rf", directory]) { UseShellExecute = false })!;
            await rm.WaitForExitAsync();
        }
    }

    /// <summary>Writes <see cref="RawName"/> in <paramref name="folder"/> the careful way (a hidden name, then a rename).</summary>
    private static async Task CreateRawAsync(string folder, string content)
    {
        Directory.CreateDirectory(folder);
        using var shell = Process.Start(new ProcessStartInfo("/bin/sh",
            ["-c", "printf \"$2\" > \"$1/.writing\" && mv \"$1/.writing\" \"$1/$(printf \"$3\")\"", "sh", folder, content, RawName])
        {
            UseShellExecute = false,
        })!;
        await shell.WaitForExitAsync();
        Assert.Equal(0, shell.ExitCode);
        // The raw name, or already the watch service's rename of it (it may be that quick).
        Assert.Contains(Directory.EnumerateFiles(folder),
            path => path.EndsWith("caf\uFFFD.txt", StringComparison.Ordinal) || path.Contains("caf%E9", StringComparison.Ordinal));
    }
}
