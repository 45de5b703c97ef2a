using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Streaming.Messaging.Hosting;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job;

namespace Streaming.Producer.Cli;

/// <summary>
/// Shows progress on stderr while a publish waits: a line redrawn in place on a terminal, or a plain line every few
/// seconds otherwise. Says so when no consumer is attached to the pipeline's work queue, and while the broker blocks publishers
/// (a memory or disk alarm).
/// </summary>
/// <param name="jobs">Each job's progress of the moment (a file's <see cref="JobRunner.Progress"/>, or standard input's).</param>
internal sealed class ProgressDisplay(
    IReadOnlyList<Func<JobProgress>> jobs, IConnection connection, PipelineQueues pipeline, TimeSpan plainInterval, TimeProvider time)
{
    private static readonly TimeSpan s_terminalInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_consumerCheckInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_consumerCheckTimeout = TimeSpan.FromSeconds(1);

    private readonly bool _terminal = !Console.IsErrorRedirected;
    private volatile string? _blockedReason;
    private uint? _consumers;
    private long _lastConsumerCheck;
    private int _lastWidth;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        connection.ConnectionBlockedAsync += OnBlockedAsync;
        connection.ConnectionUnblockedAsync += OnUnblockedAsync;
        try
        {
            await ShowAsync(cancellationToken);
        }
        finally
        {
            connection.ConnectionBlockedAsync -= OnBlockedAsync;
            connection.ConnectionUnblockedAsync -= OnUnblockedAsync;
        }
    }

    private Task OnBlockedAsync(object sender, ConnectionBlockedEventArgs e)
    {
        _blockedReason = string.IsNullOrWhiteSpace(e.Reason) ? "no reason given" : UsageErrors.Printable(e.Reason);
        return Task.CompletedTask;
    }

    private Task OnUnblockedAsync(object sender, AsyncEventArgs e)
    {
        _blockedReason = null;
        return Task.CompletedTask;
    }

    private async Task ShowAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_terminal ? s_terminalInterval : plainInterval, time);
        // Stopped (the command then prints the final summary) by disposing the timer, which ends the wait with false: a
        // wait cancelled through its token throws, and a Native AOT process renders that exception's stack trace.
        using var stop = cancellationToken.Register(static timer => ((PeriodicTimer)timer!).Dispose(), timer);
        // The consumer check talks to the broker, which may not answer for a while (a blocked connection is not read at
        // all): it runs beside the drawing, which shows the last count it got.
        var check = Task.CompletedTask;
        while (await timer.WaitForNextTickAsync(CancellationToken.None))
        {
            if (check.IsCompleted)
            {
                check = CheckConsumersAsync(cancellationToken);
            }
            Draw();
        }
        await check.ContinueWith(static _ => { }, TaskScheduler.Default);
        if (_terminal && _lastWidth > 0)
        {
            Console.Error.Write('\r' + new string(' ', _lastWidth) + '\r');
        }
    }

    private void Draw()
    {
        var active = jobs.Select(j => j()).Where(p => p.Started && !p.Done).ToList();
        if (active.Count == 0)
        {
            return;
        }
        var waiting = _consumers == 0 ? NoConsumer(pipeline) : "";
        if (_blockedReason is { } blocked)
        {
            waiting += $" — the broker is blocking publishers ({blocked}); waiting for it to clear";
        }
        if (_terminal)
        {
            var line = (active.Count == 1 ? active[0].Describe() : $"{active.Count} files: " + string.Join(" | ", active.Select(p => p.Describe()))) + waiting;
            Console.Error.Write('\r' + line.PadRight(_lastWidth));
            _lastWidth = line.Length;
        }
        else
        {
            foreach (var job in active)
            {
                Console.Error.WriteLine(job.Describe() + waiting);
            }
        }
    }

    /// <summary>What the progress line adds while nothing consumes the pipeline's work queue: which queue, and how to
    /// start a consumer for it.</summary>
    internal static string NoConsumer(PipelineQueues pipeline) => pipeline.Name is null
        ? $" — no consumer is attached to {pipeline.Work}; start one"
        : $" — no consumer is attached to {pipeline.Work} ({pipeline.Describe()}); start one with --pipeline {pipeline.Name}";

    private async Task CheckConsumersAsync(CancellationToken cancellationToken)
    {
        if (_consumers is not null && time.GetElapsedTime(_lastConsumerCheck) < s_consumerCheckInterval)
        {
            return;
        }
        _lastConsumerCheck = time.GetTimestamp();
        // A blocked connection (memory or disk alarm) is not read by the broker at all: never wait on it for long.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_consumerCheckTimeout);
        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token);
            var queue = await channel.QueueDeclarePassiveAsync(pipeline.Work, timeout.Token);
            _consumers = queue.ConsumerCount;
            await channel.CloseAsync(timeout.Token);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _consumers = null;
        }
    }
}
