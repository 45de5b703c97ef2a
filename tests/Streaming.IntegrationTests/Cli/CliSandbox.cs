using System.Diagnostics;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Cli;

/// <summary>The files the fuzzed command lines point at (an input, a folder, a FIFO, …), in a temp folder, and a broker
/// port where nothing listens.</summary>
public sealed class CliSandbox : IDisposable
{
    public CliSandbox()
    {
        Root = Directory.CreateTempSubdirectory("streaming-cli-fuzz-").FullName;
        Input = Path.Combine(Root, "input.txt");
        File.WriteAllText(Input, "one\ntwo\n");
        Folder = Directory.CreateDirectory(Path.Combine(Root, "folder")).FullName;
        Fifo = Path.Combine(Root, "fifo");
        using (var mkfifo = Process.Start("mkfifo", [Fifo]))
        {
            mkfifo.WaitForExit(10_000);
        }
        DeadBroker = $"amqp://guest:guest@127.0.0.1:{FreePorts.Pick()}/";
    }

    public string Root { get; }

    public string Input { get; }

    public string Folder { get; }

    /// <summary>A named pipe: opening it for reading blocks until a writer comes.</summary>
    public string Fifo { get; }

    public string DeadBroker { get; }

    /// <summary>A fresh folder path under <see cref="Root"/> (not created).</summary>
    public string NewFolder() => Path.Combine(Root, "d" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
