using System.Text.Json;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Pipeline;

/// <summary>
/// One test's world: a fresh vhost on the shared broker, a temp folder, and the real Producer and Consumer
/// processes started against them. Disposing kills whatever still runs and deletes the folder.
/// </summary>
internal sealed class TestPipeline : IAsyncDisposable
{
    public const string TestConsumer = "Streaming.TestConsumer";
    private static readonly TimeSpan s_consumerReady = TimeSpan.FromSeconds(90);

    private readonly List<ServiceProcess> _processes = [];

    private TestPipeline(ITestBroker broker, string uri, string directory)
    {
        Broker = broker;
        Uri = uri;
        ServiceUri = uri;
        Directory = directory;
    }

    public ITestBroker Broker { get; }

    /// <summary>The vhost's URI, for the test's own connections.</summary>
    public string Uri { get; }

    /// <summary>The URI the services get (defaults to <see cref="Uri"/>; a proxy's or an amqps URI for some tests).</summary>
    public string ServiceUri { get; set; }

    public string Vhost => System.Uri.UnescapeDataString(new Uri(Uri).AbsolutePath.TrimStart('/'));

    /// <summary>Environment variables every service started from now on gets (a test's own win over these).</summary>
    public Dictionary<string, string?> ServiceEnvironment { get; } = [];

    public string Directory { get; }

    public static async Task<TestPipeline> CreateAsync(ITestBroker broker)
    {
        var uri = await broker.CreateVhostAsync();
        var directory = Path.Combine(Path.GetTempPath(), "streaming-test-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        return new TestPipeline(broker, uri, directory);
    }

    public string WriteInput(string name, byte[] content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Starts a consumer (the stock one, or <see cref="TestConsumer"/>) and waits until it consumes.</summary>
    public async Task<ServiceProcess> StartConsumerAsync(
        string processor, string assembly = "Consumer", IReadOnlyDictionary<string, string?>? environment = null, params string[] extra)
    {
        var consumer = StartConsumer(processor, assembly, environment, extra);
        await consumer.WaitForOutputAsync("Consuming streaming.lines", s_consumerReady);
        return consumer;
    }

    public ServiceProcess StartConsumer(
        string processor, string assembly = "Consumer", IReadOnlyDictionary<string, string?>? environment = null, params string[] extra)
    {
        var consumer = ServiceProcess.StartService(assembly, ["--processor", processor, "--rabbitmq", ServiceUri, .. extra], Merge(environment));
        _processes.Add(consumer);
        return consumer;
    }

    public ServiceProcess StartPublish(IEnumerable<string> files, params string[] extra) =>
        StartPublish(files, null, extra);

    public ServiceProcess StartPublish(IEnumerable<string> files, IReadOnlyDictionary<string, string?>? environment, params string[] extra)
    {
        var producer = ServiceProcess.StartProducer(["publish", .. files, "--wait", "--rabbitmq", ServiceUri, .. extra], Merge(environment));
        _processes.Add(producer);
        return producer;
    }

    /// <summary>Runs <c>publish --wait</c> to the end and returns its exit code.</summary>
    public async Task<(int ExitCode, ServiceProcess Producer)> PublishAsync(string file, TimeSpan timeout, params string[] extra)
    {
        var producer = StartPublish([file], extra);
        var code = await producer.WaitForExitAsync(timeout);
        return (code, producer);
    }

    /// <summary>Every process this pipeline started, in order (for tests that read all their output).</summary>
    public IReadOnlyList<ServiceProcess> Processes => _processes;

    private Dictionary<string, string?> Merge(IReadOnlyDictionary<string, string?>? environment)
    {
        var merged = new Dictionary<string, string?>(ServiceEnvironment);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }
        return merged;
    }

    public static JsonElement ReadSummary(string inputPath) =>
        JsonDocument.Parse(File.ReadAllBytes(inputPath + ".summary.json")).RootElement;

    public static List<(long Line, string Error)> ReadErrors(string inputPath)
    {
        var path = inputPath + ".errors.jsonl";
        if (!File.Exists(path))
        {
            return [];
        }
        return File.ReadLines(path)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("error").GetString()!))
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A process we killed may still hold a file for a moment; the temp folder is cleaned by the OS later.
        }
    }
}
