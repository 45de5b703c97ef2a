using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.Results;

namespace Streaming.Producer.Job.Publishing;

/// <summary>
/// The producer's retransmission timeout: when the collector has not advanced for <see cref="RetransmitPolicy.After"/> while batches are
/// out, those batches may have been lost (their queue deleted or purged, a result dropped), so it gets them again from
/// <see cref="IBatchReplay"/> (a file cut again at their recorded offsets, standard input's copies kept in memory) and
/// publishes them again; deduplication absorbs any copy that was not lost.
/// The wait doubles after each retransmission without progress, up to an hour, and resets on progress. A request
/// (<see cref="RequestNow"/>, when the results queue had to be subscribed again) retransmits at the next tick.
/// A batch that stays unanswered through <see cref="RetransmitPolicy.GiveUpAfter"/> retransmissions while consumers were attached is one no
/// consumer accepts (they dead-letter it, say for a line over their own limit): its lines fail with that reason and the
/// file goes on. Waits without a consumer attached do not count: the fleet may simply not be there yet, and neither does a
/// pause of the output (<see cref="ResultCollector.WritePaused"/>): the results are held then, nothing is missing.
/// </summary>
internal sealed class Retransmitter(
    IBatchReplay replay, ResultCollector collector, IBatchSender sender, RetransmitPolicy policy, JobContext context)
    : IDisposable
{
    private static readonly TimeSpan s_tick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longestWait = TimeSpan.FromHours(1);

    private readonly TimeProvider _time = context.Time;
    private readonly PeriodicTimer _timer = new(s_tick, context.Time);
    private long _cutThrough;
    private volatile bool _requested;

    /// <summary>How many batches the producer has cut so far (the first one not cut yet).</summary>
    public void CutThrough(long sequence) => Volatile.Write(ref _cutThrough, sequence);

    public void RequestNow() => _requested = true;

    /// <summary>Ends <see cref="RunAsync"/> at its next wait, without an exception (the job is done).</summary>
    public void Stop() => _timer.Dispose();

    public void Dispose() => _timer.Dispose();

    /// <summary>Runs until <see cref="Stop"/> or cancelled (the job is abandoned).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var wait = policy.After;
        var watched = collector.NextSequence;
        var since = _time.GetTimestamp();
        var unanswered = 0;
        try
        {
            while (await _timer.WaitForNextTickAsync(cancellationToken))
            {
                var next = collector.NextSequence;
                var end = Volatile.Read(ref _cutThrough);
                // While the output refuses writes the job stands still with its results held, not lost: the wait starts
                // when the pause ends, and a request made meanwhile is kept for then.
                if (next != watched || next >= end || collector.WritePaused)
                {
                    (watched, since, wait, unanswered) = (next, _time.GetTimestamp(), policy.After, 0);
                    continue;
                }
                if (!_requested && _time.GetElapsedTime(since) < wait)
                {
                    continue;
                }
                var requested = _requested;
                _requested = false;
                if (!requested && await sender.ConsumersAttachedAsync(cancellationToken) && ++unanswered > policy.GiveUpAfter)
                {
                    var reason = $"no consumer accepted this batch: it was published {policy.GiveUpAfter + 1} times with consumers attached "
                                 + $"and never answered (a consumer refuses it, e.g. for a line over its own limit; see {QueueNames.Dead})";
                    PublishLog.GaveUpOnBatch(context.Logger, context.Files.Name, next, policy.GiveUpAfter + 1);
                    if (collector.TryFailBatch(next, reason))
                    {
                        (since, wait, unanswered) = (_time.GetTimestamp(), policy.After, 0);
                    }
                    continue;
                }
                PublishLog.Retransmitting(context.Logger, context.Files.Name, next, end - 1, (int)_time.GetElapsedTime(since).TotalSeconds);
                await ResendAsync(next, end, cancellationToken);
                since = _time.GetTimestamp();
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, s_longestWait.Ticks));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The job is over.
        }
    }

    private async Task ResendAsync(long first, long end, CancellationToken cancellationToken)
    {
        await foreach (var batch in replay.ReplayAsync(first, end, cancellationToken))
        {
            if (batch.Sequence >= collector.NextSequence)
            {
                await sender.PublishAgainAsync(batch, cancellationToken);
            }
        }
    }
}
