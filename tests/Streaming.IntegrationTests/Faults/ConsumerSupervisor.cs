using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>Keeps N consumers running, restarting any that dies, like a container restart policy would.</summary>
internal sealed class ConsumerSupervisor(TestPipeline pipeline, int count, string processor, string assembly, string[] extra)
    : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<ServiceProcess> _consumers = [];
    private Task? _loop;

    public int Restarts { get; private set; }

    public void Start() => _loop = RunAsync(_stop.Token);

    /// <summary>SIGKILLs a random consumer every <paramref name="shortest"/>..<paramref name="longest"/> (seeded) until
    /// <paramref name="until"/> exits; returns the number of kills. The supervisor restarts each one.</summary>
    public async Task<int> KillRandomlyUntilExitAsync(ServiceProcess until, int seed, TimeSpan shortest, TimeSpan longest)
    {
        var random = new Random(seed);
        var kills = 0;
        while (!until.HasExited)
        {
            await Task.Delay(random.Next((int)shortest.TotalMilliseconds, (int)longest.TotalMilliseconds));
            ServiceProcess? victim;
            lock (_lock)
            {
                victim = _consumers.Count == 0 ? null : _consumers[random.Next(_consumers.Count)];
            }
            if (victim is { HasExited: false } && !until.HasExited)
            {
                victim.Kill();
                kills++;
            }
        }
        return kills;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _consumers.AddRange(Enumerable.Range(0, count).Select(_ => pipeline.StartConsumer(processor, assembly, null, extra)));
        }
        while (!cancellationToken.IsCancellationRequested)
        {
            lock (_lock)
            {
                for (var i = 0; i < _consumers.Count; i++)
                {
                    if (_consumers[i].HasExited)
                    {
                        Restarts++;
                        _consumers[i] = pipeline.StartConsumer(processor, assembly, null, extra);
                    }
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
