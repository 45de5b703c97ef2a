using System.Text.Json;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Watching;

/// <summary>
/// A <see cref="TestPipeline"/> (fresh vhost, temp folder, consumers) plus a data folder for <c>Producer watch</c>,
/// and the waits the watch tests need. Disposing kills every process it started and deletes the folder.
/// </summary>
internal sealed class WatchHarness : IAsyncDisposable
{
    public static readonly TimeSpan Run = TimeSpan.FromSeconds(180);

    /// <summary>How long a log line may take to reach a running service's stderr after what it tells of is on disk: the
    /// console logger writes from a queue of its own, so a file can be done before its line is out (CI, load 17).</summary>
    public static readonly TimeSpan LogWait = TimeSpan.FromSeconds(30);

    private readonly List<ServiceProcess> _watchers = [];

    private WatchHarness(TestPipeline pipeline)
    {
        Pipeline = pipeline;
        Data = Path.Combine(pipeline.Directory, "data");
    }

    public TestPipeline Pipeline { get; }

    public string Data { get; }

    public string Inbox => Path.Combine(Data, "inbox");

    public string Processing => Path.Combine(Data, "processing");

    public string Outbox => Path.Combine(Data, "outbox");

    public string Done => Path.Combine(Data, "done");

    public string Failed => Path.Combine(Data, "failed");

    public static async Task<WatchHarness> CreateAsync(RabbitMqBroker broker) =>
        new(await TestPipeline.CreateAsync(broker));

    /// <summary>Starts <c>Producer watch</c> on <see cref="Data"/> with a short quiet period and poll interval
    /// (overridable through <paramref name="environment"/>) and waits until it watches the inbox.</summary>
    public async Task<ServiceProcess> StartWatchAsync(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Watch__QuietPeriodMilliseconds"] = "300",
            ["Watch__PollIntervalMilliseconds"] = "100",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var watcher = ServiceProcess.StartProducer(["watch", "--data", Data, "--rabbitmq", Pipeline.Uri], settings);
        _watchers.Add(watcher);
        await watcher.WaitForOutputAsync("Watching ", TimeSpan.FromSeconds(90));
        return watcher;
    }

    /// <summary>Drops a file the careful way: written under a hidden name, then renamed into the inbox.</summary>
    public string Drop(string name, byte[] content)
    {
        System.IO.Directory.CreateDirectory(Inbox);
        var hidden = Path.Combine(Inbox, "." + name + ".writing");
        File.WriteAllBytes(hidden, content);
        var path = Path.Combine(Inbox, name);
        File.Move(hidden, path);
        return path;
    }

    public string OutputOf(string name) => Path.Combine(Outbox, name + ".out");

    public JsonElement SummaryOf(string name) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Outbox, name + ".summary.json"))).RootElement;

    /// <summary>The next line the checkpoint of <paramref name="name"/> records (1 when it has none yet).</summary>
    public long CheckpointLine(string name)
    {
        try
        {
            using var checkpoint = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Outbox, name + ".checkpoint.json")));
            return checkpoint.RootElement.GetProperty("nextLine").GetInt64();
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return 1;       // not written yet, or being replaced
        }
    }

    /// <summary>Waits until the checkpoint of <paramref name="name"/> is at or past <paramref name="line"/>; returns it.</summary>
    public async Task<long> WaitForCheckpointAsync(string name, long line, ServiceProcess watcher)
    {
        await WaitUntilAsync(() => CheckpointLine(name) >= line, Run, $"the checkpoint of {name} at line {line}", watcher);
        return CheckpointLine(name);
    }

    /// <summary>Waits until <paramref name="name"/> is in done/ (its outputs complete in outbox/).</summary>
    public Task WaitForDoneAsync(string name, ServiceProcess watcher, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => File.Exists(Path.Combine(Done, name)), timeout ?? Run, $"{name} in done/", watcher);

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, ServiceProcess? describe = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            if (describe is { HasExited: true })
            {
                throw new InvalidOperationException($"waiting for {what}, the service exited.{Environment.NewLine}{describe.Describe()}");
            }
            try
            {
                await Task.Delay(50, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"not reached within {timeout.TotalSeconds:0} s: {what}.{Environment.NewLine}{describe?.Describe()}");
            }
        }
    }

    /// <summary>Everything in a folder, by name (sorted), for assertions.</summary>
    public static List<string> List(string folder) =>
        System.IO.Directory.Exists(folder)
            ? System.IO.Directory.EnumerateFileSystemEntries(folder).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToList()
            : [];

    public async ValueTask DisposeAsync()
    {
        foreach (var watcher in _watchers)
        {
            await watcher.DisposeAsync();
        }
        await Pipeline.DisposeAsync();
    }
}
