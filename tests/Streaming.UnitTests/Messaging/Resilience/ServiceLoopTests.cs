using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Resilience;

namespace Streaming.UnitTests.Messaging.Resilience;

/// <summary>The loop sets <see cref="Environment.ExitCode"/>, as a service must; these tests run one at a time and
/// put it back.</summary>
[Collection(nameof(ServiceLoopTests))]
[CollectionDefinition(nameof(ServiceLoopTests), DisableParallelization = true)]
public sealed class ServiceLoopTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly int _exitCode = Environment.ExitCode;
    private readonly Lifetime _lifetime = new();
    private readonly List<string> _told = [];

    [Fact]
    public async Task RunAsync_TransientFaultsWhileStarting_StartsAgainUntilItRuns()
    {
        var attempts = 0;

        await ServiceLoop.RunAsync(_ =>
        {
            attempts++;
            return attempts switch
            {
                1 => throw new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.ConnectionForced, "CONNECTION_FORCED")),
                2 => throw new IOException("connection reset by amqp://app:secret@h"),
                _ => Task.CompletedTask,
            };
        }, Log(), _lifetime, TimeSpan.Zero, CancellationToken.None).WaitAsync(s_timeout);

        Assert.Equal(3, attempts);
        Assert.Equal(2, _told.Count);
        Assert.StartsWith("interrupted: ", _told[0], StringComparison.Ordinal);
        Assert.Equal("interrupted: connection reset by amqp://app:***@h", _told[1]);
        Assert.False(_lifetime.Stopped);
    }

    [Fact]
    public async Task RunAsync_RefusedConfiguration_StopsWithExitCodeTwo()
    {
        await ServiceLoop.RunAsync(_ => throw new BrokerRefusedException("the broker refused user 'app'", null),
            Log(), _lifetime, TimeSpan.Zero, CancellationToken.None).WaitAsync(s_timeout);

        Assert.Equal(["refused: the broker refused user 'app'"], _told);
        Assert.Equal(2, Environment.ExitCode);
        Assert.True(_lifetime.Stopped);
    }

    [Fact]
    public async Task RunAsync_UnexpectedError_FailsWithExitCodeOne()
    {
        var bug = new InvalidOperationException("a bug");

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => ServiceLoop.RunAsync(
            _ => throw bug, Log(), _lifetime, TimeSpan.Zero, CancellationToken.None).WaitAsync(s_timeout));

        Assert.Same(bug, thrown);
        Assert.Equal(["failed: a bug"], _told);
        Assert.Equal(1, Environment.ExitCode);
    }

    [Fact]
    public async Task RunAsync_StoppedWhileStarting_ReturnsQuietly()
    {
        using var stopping = new CancellationTokenSource();

        await ServiceLoop.RunAsync(async ct =>
        {
            await stopping.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
        }, Log(), _lifetime, TimeSpan.Zero, stopping.Token).WaitAsync(s_timeout);

        Assert.Empty(_told);
        Assert.Equal(_exitCode, Environment.ExitCode);
    }

    private ServiceLoopLog Log() => new(
        reason => _told.Add("refused: " + reason),
        (reason, _) => _told.Add("interrupted: " + reason),
        exception => _told.Add("failed: " + exception.Message));

    public void Dispose() => Environment.ExitCode = _exitCode;

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public bool Stopped { get; private set; }
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() => Stopped = true;
    }
}
