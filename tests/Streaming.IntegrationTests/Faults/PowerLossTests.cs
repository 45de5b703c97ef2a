using System.Text.RegularExpressions;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// A completed job survives power loss: after the renames that complete it, the folder that holds them is fsynced
/// (a rename is only durable once its directory is). Power cannot be cut here, so the test reads the system calls
/// the producer makes (strace) and checks that order.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed partial class PowerLossTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task PublishWait_Completes_SyncsTheOutputFolderAfterRenamingTheOutput()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 500);
        var input = pipeline.WriteInput("durable.txt", content);
        var outDirectory = Path.Combine(pipeline.Directory, "out");
        await pipeline.StartConsumerAsync("identity");
        var trace = Path.Combine(pipeline.Directory, "strace.log");

        var (executable, arguments) = ServiceBinaries.Command(ServiceBinaries.Producer);
        await using var producer = ServiceProcess.Start("strace",
        [
            "-f", "-qq", "-e", "trace=openat,fsync,rename,renameat,renameat2", "-o", trace, executable, .. arguments,
            "publish", input, "--wait", "--out", outDirectory, "--rabbitmq", pipeline.Uri,
        ]);
        var code = await producer.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(code == 0, producer.Describe());
        Ledger.AssertOutput(Path.Combine(outDirectory, "durable.txt"), content, "identity");
        var calls = await File.ReadAllLinesAsync(trace);
        var renamed = Array.FindIndex(calls, c => c.Contains("rename", StringComparison.Ordinal)
                                                   && c.Contains("durable.txt.out.partial\", ", StringComparison.Ordinal));
        Assert.True(renamed >= 0, "no rename of the output in the trace");
        var synced = calls.Skip(renamed).Select(c => FolderOpened().Match(c)).FirstOrDefault(m => m.Success && m.Groups["path"].Value == outDirectory);
        Assert.True(synced is not null, $"the output folder was not opened after the rename:\n{string.Join('\n', calls.Skip(renamed).Take(40))}");
        var fd = synced.Groups["fd"].Value;
        Assert.Contains(calls.Skip(renamed), c => Regex.IsMatch(c, $@"fsync\({fd}\)\s+= 0"));
    }

    [GeneratedRegex("""openat\(AT_FDCWD, "(?<path>[^"]+)", [^)]*O_DIRECTORY[^)]*\)\s+= (?<fd>\d+)""")]
    private static partial Regex FolderOpened();
}
