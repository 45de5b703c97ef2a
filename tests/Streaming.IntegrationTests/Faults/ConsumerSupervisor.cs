using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>Keeps N consumers running, restarting any that dies, like a container restart policy would.</summary>
internal sealed class ConsumerSupervisor(TestPipeline pipeline, int count, string processor, string assembly) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public int Restarts { get; private set; }

    public void Start() => _loop = RunAsync(_stop.Token);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var consumers = Enumerable.Range(0, count).Select(_ => pipeline.StartConsumer(processor, assembly)).ToList();
        while (!cancellationToken.IsCancellationRequested)
        {
            for (var i = 0; i < consumers.Count; i++)
            {
                if (consumers[i].HasExited)
                {
                    Restarts++;
                    consumers[i] = pipeline.StartConsumer(processor, assembly);
                }
            }
            await Task.Delay(100, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        _stop.Dispose();
    }
}
