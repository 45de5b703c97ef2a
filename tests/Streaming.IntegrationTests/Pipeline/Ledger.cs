using System.Globalization;
using System.Text;
using System.Text.Json;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Pipeline;

/// <summary>
/// The check every fault test ends with: every input line exactly once in the output — or, with an empty output
/// line, in errors.jsonl with a reason — nothing duplicated, nothing left over; and every queue of the test's vhost
/// empty (the dead-letter queue holding only what the test put there on purpose).
/// </summary>
internal static class Ledger
{
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Checks the finished outputs of <paramref name="inputPath"/>; returns how many lines were checked.</summary>
    /// <param name="inputPath">Where the outputs are, less their suffixes: the input file for publish (its outputs sit
    /// beside it), outbox/NAME for watch.</param>
    /// <param name="content">The input's bytes.</param>
    /// <param name="processor">The processor the consumers ran (for the reference output).</param>
    /// <param name="failing">Lines (1-based) that must be in errors.jsonl; any other failure is an error too.</param>
    public static long AssertOutput(string inputPath, byte[] content, string processor, IReadOnlySet<long>? failing = null)
    {
        failing ??= new HashSet<long>();
        Assert.False(File.Exists(inputPath + ".out.partial"), "the output is still partial");
        Assert.False(File.Exists(inputPath + ".checkpoint.json"), "the checkpoint was left behind");
        Assert.True(File.Exists(inputPath + ".out"), $"{inputPath}.out is missing");
        var input = ReferenceOutput.SplitLines(content);
        var output = File.ReadAllBytes(inputPath + ".out");
        var outputLines = SplitTerminated(output, out var unterminated);
        Assert.False(unterminated, "the output's last line has no terminator");
        Assert.True(outputLines.Count == input.Count,
            $"the output has {outputLines.Count} lines for {input.Count} input lines (lost or duplicated lines)");

        var errors = ReadErrors(inputPath);
        foreach (var (line, reason) in errors)
        {
            Assert.True(line >= 1 && line <= input.Count, $"errors.jsonl names line {line}, outside 1..{input.Count}");
            Assert.False(string.IsNullOrWhiteSpace(reason), $"errors.jsonl gives no reason for line {line}");
            Assert.True(outputLines[(int)line - 1].Length == 0, $"failed line {line} has a non-empty output line");
        }
        var failed = errors.Select(e => e.Line).ToList();
        Assert.True(failed.Count == failed.Distinct().Count(), "errors.jsonl names a line twice");
        Assert.Equal(failing.Order(), failed.Order());
        for (var i = 0; i < input.Count; i++)
        {
            if (failing.Contains(i + 1))
            {
                continue;
            }
            var expected = ReferenceOutput.Apply(processor, input[i]);
            if (expected is null || !expected.AsSpan().SequenceEqual(outputLines[i]))
            {
                Assert.Fail($"line {i + 1}: expected '{Show(expected)}', the output has '{Show(outputLines[i])}'");
            }
        }
        return input.Count;
    }

    /// <summary>Waits until every work and results queue of the pipeline's vhost is empty and streaming.dead holds
    /// exactly <paramref name="expectedDead"/> messages; fails with the counts after a minute.</summary>
    public static async Task AssertQueuesDrainedAsync(TestPipeline pipeline, int expectedDead = 0)
    {
        var deadline = DateTime.UtcNow + s_drainTimeout;
        Dictionary<string, long> counts;
        while (true)
        {
            counts = await QueueCountsAsync(pipeline);
            var drained = counts.All(q => q.Key == QueueNames.Dead ? q.Value == expectedDead : q.Value == 0)
                          && counts.ContainsKey(QueueNames.Work) && counts.GetValueOrDefault(QueueNames.Dead) == expectedDead;
            if (drained)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(250);
        }
        Assert.Fail($"queues not drained (streaming.dead should hold {expectedDead}): " +
                    string.Join(", ", counts.Select(q => $"{q.Key}={q.Value}")));
    }

    /// <summary>Messages (ready and unacknowledged) in every queue of the vhost, through rabbitmqctl.</summary>
    public static async Task<Dictionary<string, long>> QueueCountsAsync(TestPipeline pipeline)
    {
        var listing = await pipeline.Broker.RabbitMqCtlAsync("list_queues", "-q", "--no-table-headers", "-p", pipeline.Vhost, "name", "messages");
        var counts = new Dictionary<string, long>();
        foreach (var row in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = row.Split('\t', StringSplitOptions.TrimEntries);
            if (fields.Length >= 1 && fields[0].Length > 0)
            {
                // A queue whose count the broker could not give (a busy quorum queue) is not known to be empty.
                counts[fields[0]] = fields.Length == 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                    ? count
                    : -1;
            }
        }
        return counts;
    }

    private static List<(long Line, string Error)> ReadErrors(string inputPath)
    {
        var path = inputPath + ".errors.jsonl";
        if (!File.Exists(path))
        {
            return [];
        }
        return File.ReadLines(path)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("error").GetString() ?? ""))
            .ToList();
    }

    private static List<byte[]> SplitTerminated(byte[] output, out bool unterminated)
    {
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < output.Length; i++)
        {
            if (output[i] == (byte)'\n')
            {
                lines.Add(output[start..i]);
                start = i + 1;
            }
        }
        unterminated = start != output.Length;
        return lines;
    }

    private static string Show(byte[]? bytes) =>
        bytes is null ? "(a failure)" : Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 120)));
}
