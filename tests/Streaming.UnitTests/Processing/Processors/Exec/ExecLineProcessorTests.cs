using System.Diagnostics;
using System.Text;
using Streaming.Consumer.Processing;
using Streaming.Consumer.Processors.Exec;
using Streaming.Messaging.Contract;

namespace Streaming.UnitTests.Processing.Processors.Exec;

/// <summary>
/// <c>exec:</c> through the batch processor, with real worker processes (<c>sh</c> scripts) that misbehave: every line's
/// result must be its own line's answer or a failure with a reason, never another line's answer.
/// </summary>
public sealed class ExecLineProcessorTests : IDisposable
{
    private const int MaxLineBytes = 1024 * 1024;
    // A generous floor for the check after a batch's last answer, so that output already on its way is seen on a
    // loaded machine; what a worker writes in a later write than its last answer stays a matter of scheduling.
    private static readonly ExecSettings s_settings = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), 1000, 100_000, TimeSpan.FromMilliseconds(20));
    private readonly string _directory = Directory.CreateTempSubdirectory("exec-processor-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(37)]
    [InlineData(300)]   // the last line: only the check after the batch's last answer can see the extra line
    public async Task PlainWorkerWritesAnExtraLineForOneInput_OnlyThatLineFailsAndNoAnswerIsShifted(int extraAt)
    {
        // The extra line and the answer in one write: when the extra line is the batch's last output, two writes would
        // leave it to the scheduler whether it arrives before the check after the last answer (the documented limit).
        var script = Script("""
            while IFS= read -r line; do
              if [ "$line" = "line EXTRA" ]; then printf 'an extra line\ngot %s\n' "$line"; else printf 'got %s\n' "$line"; fi
            done
            """);
        var lines = Lines(300, extraAt, "line EXTRA");

        var results = await ProcessAsync($"sh {script}", lines, concurrency: 1);

        for (var i = 0; i < lines.Count; i++)
        {
            Assert.Equal(i == extraAt - 1 ? $"failed: {ExecWorker.MoreAnswers}" : $"ok: got {Text(lines[i])}", results[i]);
        }
    }

    [Theory]
    [InlineData("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done", "")]    // at work (or kept from the CPU)
    [InlineData("sleep 0.5", "")]                                             // asleep on something else than its input
    [InlineData("exit 3", "failed: command exited with code 3")]              // dies on the line it was not counted for
    public async Task PlainWorkerOneLineTooManyThenALastLineThatOutlastsTheWait_NoAnswerIsShifted(string lastLine, string lastResult)
    {
        // ExecChaosTests seed 26886102: one line too many, then a run's last line whose answer comes long after the
        // check's wait (50 ms at most), or never. The answers add up, yet the worker is out of step. The worker's
        // first batch: it was seen asleep on its input before its first line, so asleep on anything else, it is at work.
        var script = Script($$"""
            while IFS= read -r line; do
              if [ "$line" = "line EXTRA" ]; then printf 'an extra line\ngot %s\n' "$line"; continue; fi
              if [ "$line" = "line 300" ]; then {{lastLine}}; fi
              printf 'got %s\n' "$line"
            done
            """);
        var lines = Lines(300, 37, "line EXTRA");

        var results = await ProcessAsync($"sh {script}", lines, concurrency: 1, s_settings with { QuietFloor = TimeSpan.FromMilliseconds(1) });

        for (var i = 0; i < lines.Count; i++)
        {
            var expected = i switch
            {
                36 => $"failed: {ExecWorker.MoreAnswers}",
                299 when lastResult.Length > 0 => lastResult,
                _ => $"ok: got {Text(lines[i])}",
            };
            Assert.Equal(expected, results[i]);
        }
    }

    [Fact]
    public async Task PlainWorkerSkipsOneLinesAnswer_ThatLineFailsAndNoAnswerIsShifted()
    {
        var script = Script("""
            while IFS= read -r line; do
              [ "$line" = "line SKIP" ] || printf 'got %s\n' "$line"
            done
            """);
        var lines = Lines(120, 40, "line SKIP");

        var results = await ProcessAsync($"sh {script}", lines, concurrency: 1, s_settings with { LineTimeout = TimeSpan.FromSeconds(1) });

        for (var i = 0; i < lines.Count; i++)
        {
            if (i == 39)
            {
                Assert.StartsWith("failed: command took longer than 1 s on this line (worker killed)", results[i]);
            }
            else
            {
                Assert.Equal($"ok: got {Text(lines[i])}", results[i]);
            }
        }
    }

    [Fact]
    public async Task FramedWorkerSlowerToStartThanThePatience_ItsHelloIsHeardAndEveryLineSucceeds()
    {
        var script = Script("""
            sleep 1.6
            printf '\000streaming-worker framed 1\n'
            while IFS= read -r line; do printf '+%s\n' "$line"; done
            """);
        var lines = Lines(200, 0, "");

        var results = await ProcessAsync($"sh {script}", lines, concurrency: 2);

        Assert.Equal(lines.Select(l => $"ok: {Text(l)}"), results);
    }

    [Fact]
    public async Task PlainWorkerEchoesTheFramedHelloAsInput_ItDoesNotSwitchTheProtocol()
    {
        var lines = Lines(50, 1, "\0streaming-worker framed 1");
        lines[20] = Encoding.UTF8.GetBytes("\0streaming-worker framed 1");

        var results = await ProcessAsync("cat", lines, concurrency: 2);

        for (var i = 0; i < lines.Count; i++)
        {
            Assert.Equal(
                i is 0 or 20 ? "failed: the command wrote the framed hello as an answer, after it had been sent a line" : $"ok: {Text(lines[i])}",
                results[i]);
        }
    }

    [Fact]
    public async Task FramedWorkerPrintsAnUnframedLine_ItIsReplacedAndOnlyThePrintingLineFails()
    {
        var script = Script("""
            printf '\000streaming-worker framed 1\n'
            while IFS= read -r line; do
              case $line in *PRINT*) echo "debug: seen $line" ;; esac
              printf '+%s\n' "$line"
            done
            """);
        var lines = Lines(400, 123, "line PRINT");
        lines[301] = Encoding.ASCII.GetBytes("another PRINT");

        var results = await ProcessAsync($"sh {script}", lines, concurrency: 2);

        for (var i = 0; i < lines.Count; i++)
        {
            Assert.Equal(
                i is 122 or 301 ? "failed: the command wrote an answer that is not framed ('+' or '-' first); a framed worker writes nothing else on stdout" : $"ok: {Text(lines[i])}",
                results[i]);
        }
    }

    [Fact]
    public async Task CommandAnswersNoLine_FewWorkersAreSpentAndEveryLineFailsWithTheReason()
    {
        var starts = Path.Combine(_directory, "starts");
        var script = Script($"echo started >> {starts}\ncat > /dev/null\n");
        var lines = Lines(50, 0, "");

        var results = await ProcessAsync($"sh {script}", lines, concurrency: 1, s_settings with { LineTimeout = TimeSpan.FromMilliseconds(400) });

        Assert.All(results, r => Assert.StartsWith("failed: command took longer than 0.4 s on this line (worker killed); it had answered no line at all", r));
        Assert.Contains("not run alone: the command failed 3 lines in a row", results[^1], StringComparison.Ordinal);
        var workers = File.ReadAllLines(starts).Length;
        Assert.True(workers <= 1 + ExecProtocol.FailingStreak, $"{workers} workers were started for 50 lines");
    }

    [Fact]
    public async Task WorkerDiesAfterItsFirstLinesEveryTime_LinesStillSucceedAndFewFail()
    {
        // Each worker answers two lines and exits: lines are retried alone on fresh workers, and a line fails only when
        // it ends a worker that was fresh for it, which this command never does.
        var script = Script("""
            read -r a; printf '%s\n' "$a"
            read -r b; printf '%s\n' "$b"
            exit 3
            """);
        var lines = Lines(30, 0, "");

        var results = await ProcessAsync($"sh {script}", lines, concurrency: 1);

        Assert.Equal(lines.Select(l => $"ok: {Text(l)}"), results);
    }

    [Fact]
    public async Task LineTimesOut_TheWorkersChildrenDieWithIt()
    {
        var marker = $"{Random.Shared.Next(100_000, 999_999)}.{Random.Shared.Next(10, 99)}";
        var script = Script($"read -r line\nsleep {marker}\necho never\n");

        var results = await ProcessAsync($"sh {script}", Lines(1, 0, ""), concurrency: 1, s_settings with { LineTimeout = TimeSpan.FromMilliseconds(1500) });

        Assert.StartsWith("failed: command took longer than 1.5 s", results[0]);
        var deadline = Stopwatch.StartNew();
        while (ProcessesWithArgument(marker).Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }
        Assert.Empty(ProcessesWithArgument(marker));
    }

    [Fact]
    public async Task WorkerEnvironment_HoldsNoBrokerSettingNorAnyUriWithAPassword()
    {
        string[] names = [$"RabbitMq__Uri_{Guid.NewGuid():N}", $"UNRELATED_{Guid.NewGuid():N}", $"PLAIN_{Guid.NewGuid():N}"];
        Environment.SetEnvironmentVariable(names[0], "amqp://streaming-consumer@broker:5672/");
        Environment.SetEnvironmentVariable(names[1], "see amqps://user:s3cret@elsewhere/vhost");
        Environment.SetEnvironmentVariable(names[2], "kept");
        try
        {
            var lines = names.Select(n => Encoding.ASCII.GetBytes(n)).ToList();

            var results = await ProcessAsync("sh -c 'while read -r name; do printenv \"$name\" || echo removed; done'", lines, concurrency: 1);

            Assert.Equal(["ok: removed", "ok: removed", "ok: kept"], results);
        }
        finally
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Fact]
    public async Task WorkerClosesItsOutputButLivesOn_ReportedAsSuchNotAsAnExitCode()
    {
        var script = Script("read -r line\nexec 1>&-\nsleep 30\n");

        var results = await ProcessAsync($"sh {script}", Lines(1, 0, ""), concurrency: 1);

        Assert.Equal("failed: command closed its output but did not exit (worker killed)", results[0]);
    }

    private string Script(string text)
    {
        var path = Path.Combine(_directory, $"worker-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        return path;
    }

    private static List<byte[]> Lines(int count, int markedAt, string marked) =>
        Enumerable.Range(1, count).Select(i => Encoding.UTF8.GetBytes(i == markedAt ? marked : $"line {i}")).ToList();

    private static string Text(byte[] line) => Encoding.UTF8.GetString(line);

    private static async Task<List<string>> ProcessAsync(string commandLine, List<byte[]> lines, int concurrency, ExecSettings? settings = null)
    {
        var factory = new ExecProcessorDefinition(settings ?? s_settings).Define(commandLine, out var error)
            ?? throw new InvalidOperationException(error);
        await using var processor = new BatchProcessor(factory, concurrency);
        using var writer = new MessageWriter();
        foreach (var line in lines)
        {
            writer.WriteEntry(LineFlag.Data, line);
        }
        var batch = LineBatch.Decode(writer.Complete(MessageKind.Batch, new BatchHeader(Guid.NewGuid(), 1, 1, lines.Count, 0, lines.Count)).ToArray(), MaxLineBytes);
        using var messages = await processor.ProcessAsync(batch, 16 * 1024 * 1024, CancellationToken.None);
        var result = LineResult.Decode(Assert.Single(messages.Parts).WrittenMemory.ToArray(), MaxLineBytes);
        return Enumerable.Range(0, result.Lines.Count)
            .Select(i => (result.Lines[i].Flag == LineStatus.Ok ? "ok: " : "failed: ") + Encoding.UTF8.GetString(result.LineBytes(i)))
            .ToList();
    }

    private static List<int> ProcessesWithArgument(string argument)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0').Contains(argument))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // It ended while being looked at.
            }
        }
        return found;
    }
}
