using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Cli;

/// <summary>Usage errors need no broker: each must be one clear line on stderr and exit code 2, before any connection.</summary>
public sealed class CommandLineTests : IDisposable
{
    private static readonly TimeSpan s_exit = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-cli-").FullName;

    // Nothing listens there: a command that wrongly tried to connect would not exit 2 at once.
    private static readonly string s_deadBroker = $"amqp://guest:guest@127.0.0.1:{FreePorts.Pick()}/";

    public static TheoryData<string[]> BadProducerUsage => new()
    {
        Array.Empty<string>(),
        new[] { "bogus" },
        new[] { "publish" },
        new[] { "publish", "--wait" },
        new[] { "publish", "{missing}", "--wait" },
        new[] { "publish", "{dir}", "--wait" },
        new[] { "publish", "{file}", "--wait", "--batch-lines", "0" },
        new[] { "publish", "{file}", "--wait", "--batch-lines", "-5" },
        new[] { "publish", "{file}", "--wait", "--batch-lines", "1.5" },
        new[] { "publish", "{file}", "--wait", "--batch-lines", "abc" },
        new[] { "publish", "{file}", "--wait", "--batch-lines", "1000001" },
        new[] { "publish", "{file}", "--wait", "--batch-bytes", "0" },
        new[] { "publish", "{file}", "--wait", "--batch-bytes", "+7" },
        new[] { "publish", "{file}", "--wait", "--batch-lines" },
        new[] { "publish", "{file}", "--wait", "--out", "{file}" },
        new[] { "publish", "{file}", "--wait", "--rabbitmq", "http://example/" },
        new[] { "publish", "{file}", "--wait", "--rabbitmq", "not a uri" },
        new[] { "publish", "{file}", "--wait", "--rabbitmq", "amqp://guest:guest@127.0.0.1:5672/a/b" },
        new[] { "publish", "{file}", "--wait", "--rabbitmq", "amqp://guest:guest@127.0.0.1:5672/%zz/q" },
        new[] { "publish", "{file}", "--wait", "--rabbitmq", "amqp://guest:guest@127.0.0.1:0/" },
        new[] { "publish", "{file}", "--wait", "--rabbitmq", "amqp://guest:guest@127.0.0.1:5672/,not a uri" },
        new[] { "publish", "{file}", "--wait", "--rabbitmq", "amqp://a:x@n1:5672/,amqp://b:x@n2:5672/" },
        new[] { "publish", "{file}", "--wait", "--out", "" },
        new[] { "publish", "{file}", "--wait", "--unknown-flag" },
        new[] { "publish", "{file}", "{file}", "--wait" },
        new[] { "publish", "{file}", "--wait", "--pipeline", "two words" },
        new[] { "publish", "{file}", "--wait", "--pipeline", "a/b" },
        new[] { "publish", "{file}", "--wait", "--pipeline", "caf\u00e9" },
        new[] { "publish", "{file}", "--wait", "--pipeline", "" },
        new[] { "publish", "{file}", "--wait", "--pipeline", new string('p', 65) },
        new[] { "publish", "{file}", "--wait", "--pipeline" },
        new[] { "watch", "--data", "{dir}", "--pipeline", "x*" },
        new[] { "watch", "--data", "{dir}", "--pipeline", new string('w', 65) },
        new[] { "publish", "{file}" },
        new[] { "redrive" },
        new[] { "redrive", "{missing}" },
        new[] { "redrive", "{dir}" },
        new[] { "redrive", "{file}" },                          // no run of it: no output, no summary
        new[] { "redrive", "{file}", "{file}" },
        new[] { "redrive", "{file}", "--out", "{file}" },
        new[] { "redrive", "{file}", "--out", "{missing}" },
        new[] { "redrive", "{file}", "--out", "" },
        new[] { "redrive", "{file}", "--wait" },
        new[] { "redrive", "{file}", "--batch-lines", "5" },
        new[] { "redrive", "{file}", "--rabbitmq", "http://example/" },
        new[] { "publish", "-", "{file}", "--wait" },
        new[] { "publish", "-", "-", "--wait" },
        new[] { "publish", "-" },
        new[] { "publish", "-", "--wait", "--out", "{dir}" },
        new[] { "publish", "-", "--wait", "--compress", "gzip" },
        new[] { "publish", "-", "--wait", "--stdout-format", "json" },
        new[] { "publish", "-", "--wait", "--stdout-format" },
        new[] { "publish", "-", "--wait", "--errors", "{dir}" },
        new[] { "publish", "-", "--wait", "--errors", "" },
        new[] { "publish", "-", "--wait", "--errors", "{missing}/errors.jsonl" },
        new[] { "publish", "{file}", "--wait", "--stdout-format", "tagged" },
        new[] { "publish", "{file}", "--wait", "--errors", "{file}.errors" },
        new[] { "watch", "--data", "{file}" },
        new[] { "watch", "--data" },
        new[] { "watch", "extra-argument" },
        new[] { "watch", "--batch-lines", "5" },
        new[] { "watch", "--rabbitmq", "http://example/" },
        new[] { "watch", "--data", "{dir}", "--rabbitmq", "amqp://g:g@n1/,amqp://g:g@n2:0/" },
    };

    public static TheoryData<string[]> BadConsumerUsage => new()
    {
        new[] { "--processor", "nope" },
        new[] { "--processor", "sha256:0" },
        new[] { "--processor", "sha256:1000001" },
        new[] { "--processor", "sha256:x" },
        new[] { "--processor", "delay" },
        new[] { "--processor", "delay:60001" },
        new[] { "--processor", "identity:1" },
        new[] { "--processor", "exec:cat\nrm -rf /tmp/streaming-never-this" },
        new[] { "--prefetch", "0" },
        new[] { "--prefetch", "65536" },
        new[] { "--prefetch", "two" },
        new[] { "--concurrency", "0" },
        new[] { "--concurrency", "-1" },
        new[] { "--rabbitmq", "ftp://host/" },
        new[] { "--rabbitmq", "amqp://guest:guest@127.0.0.1:5672/a/b" },
        new[] { "--rabbitmq", "amqps://g:g@n1/v,amqp://g:g@n2/v" },
        new[] { "extra-argument" },
        new[] { "--nope" },
        new[] { "--pipeline", "with space" },
        new[] { "--pipeline", "" },
        new[] { "--pipeline", new string('c', 65) },
        new[] { "--pipeline", "tab\tname" },
        new[] { "--pipeline", "two\nlines" },
    };

    [Theory]
    [MemberData(nameof(BadProducerUsage))]
    public async Task Producer_BadUsage_ExitsTwoWithOneLineOnStderr(string[] arguments)
    {
        var file = Path.Combine(_directory, "input.txt");
        await File.WriteAllTextAsync(file, "x\n");
        var resolved = arguments.Select(a => a.Replace("{file}", file, StringComparison.Ordinal)
            .Replace("{missing}", Path.Combine(_directory, "missing.txt"), StringComparison.Ordinal)
            .Replace("{dir}", _directory, StringComparison.Ordinal)).ToList();
        if (!resolved.Contains("--rabbitmq"))
        {
            resolved.AddRange(["--rabbitmq", s_deadBroker]);
        }
        await using var producer = ServiceProcess.StartProducer(resolved);

        var code = await producer.WaitForExitAsync(s_exit);

        Assert.True(code == 2, producer.Describe());
        AssertOneClearLine(producer.StandardError);
    }

    [Theory]
    [InlineData("p1", "no output of")]                          // taken: the file has no run to redrive
    [InlineData("a/b", "pipeline")]                             // refused by the name rule
    public async Task Redrive_PipelineOption_IsCheckedByTheNameRule(string pipeline, string expected)
    {
        var file = Path.Combine(_directory, "input.txt");
        await File.WriteAllTextAsync(file, "x\n");
        await using var producer = ServiceProcess.StartProducer(["redrive", file, "--pipeline", pipeline, "--rabbitmq", s_deadBroker]);

        var code = await producer.WaitForExitAsync(s_exit);

        Assert.True(code == 2, producer.Describe());
        AssertOneClearLine(producer.StandardError);
        Assert.Contains(expected, producer.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Unrecognized", producer.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadConsumerUsage))]
    public async Task Consumer_BadUsage_ExitsTwoBeforeTouchingTheBroker(string[] arguments)
    {
        var withBroker = arguments.Contains("--rabbitmq") ? arguments : [.. arguments, "--rabbitmq", s_deadBroker];
        await using var consumer = ServiceProcess.StartConsumer(withBroker);

        var code = await consumer.WaitForExitAsync(s_exit);

        Assert.True(code == 2, consumer.Describe());
        AssertOneClearLine(consumer.StandardError);
    }

    [Theory]
    [InlineData("Consumer__Prefetch", "0")]
    [InlineData("Consumer__Prefetch", "lots")]
    [InlineData("Consumer__Processor", "sha256:-2")]
    [InlineData("RabbitMq__Uri", "nonsense")]
    [InlineData("RabbitMq__Uri", "amqp://guest:guest@localhost:5672/%zz/q")]
    [InlineData("Logging__LogLevel__Default", "Verbose")]
    [InlineData("Health__File", "/no-such-folder/consumer.healthy")]
    [InlineData("Health__File", "/proc")]                       // a folder
    [InlineData("Health__File", "/proc/consumer.healthy")]      // a folder no one can write to
    [InlineData("RabbitMq__PasswordFile", "/no-such-folder/password")]
    [InlineData("RabbitMq__PasswordFile", "/dev/null")]         // readable by everyone
    [InlineData("Consumer__Pipeline", "no spaces")]
    [InlineData("Consumer__Pipeline", "0123456789012345678901234567890123456789012345678901234567890123x")]   // 65 characters
    public async Task Consumer_BadConfiguration_ExitsTwo(string variable, string value)
    {
        await using var consumer = ServiceProcess.StartConsumer([], new Dictionary<string, string?> { [variable] = value });

        var code = await consumer.WaitForExitAsync(s_exit);

        Assert.True(code == 2, consumer.Describe());
        AssertOneClearLine(consumer.StandardError);
    }

    [Theory]
    [InlineData("Watch__QuietPeriodMilliseconds", "-1")]
    [InlineData("Watch__PollIntervalMilliseconds", "often")]
    [InlineData("Watch__FilesAtOnce", "0")]
    [InlineData("Watch__Window", "0")]
    [InlineData("Producer__BatchLines", "0")]
    [InlineData("Producer__Pipeline", "a:b")]
    [InlineData("Health__IntervalSeconds", "0")]
    [InlineData("Health__File", "/no-such-folder/watch.healthy")]
    public async Task ProducerWatch_BadConfiguration_ExitsTwo(string variable, string value)
    {
        var data = Path.Combine(_directory, "data");
        await using var producer = ServiceProcess.StartProducer(
            ["watch", "--data", data, "--rabbitmq", s_deadBroker], new Dictionary<string, string?> { [variable] = value });

        var code = await producer.WaitForExitAsync(s_exit);

        Assert.True(code == 2, producer.Describe());
        AssertOneClearLine(producer.StandardError);
    }

    [Fact]
    public async Task Producer_UnreachableBroker_ExitsThreeAfterRetriesWithoutShowingThePassword()
    {
        var file = Path.Combine(_directory, "input.txt");
        await File.WriteAllTextAsync(file, "x\n");
        var uri = $"amqp://user:s3cret-password@127.0.0.1:{FreePorts.Pick()}/";
        var fast = new Dictionary<string, string?> { ["RabbitMq__ConnectTimeoutSeconds"] = "3" };
        await using var producer = ServiceProcess.StartProducer(["publish", file, "--wait", "--rabbitmq", uri], fast);

        var code = await producer.WaitForExitAsync(s_exit);

        Assert.True(code == 3, producer.Describe());
        Assert.DoesNotContain("s3cret-password", producer.StandardError + producer.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("could not be reached", producer.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Producer_Help_ExitsZeroAndListsTheOptions()
    {
        await using var producer = ServiceProcess.StartProducer(["publish", "--help"]);

        var code = await producer.WaitForExitAsync(s_exit);

        Assert.Equal(0, code);
        foreach (var option in new[] { "--wait", "--out", "--batch-lines", "--batch-bytes", "--pipeline", "--rabbitmq" })
        {
            Assert.Contains(option, producer.StandardOutput, StringComparison.Ordinal);
        }
    }

    private static void AssertOneClearLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{stderr}");
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
