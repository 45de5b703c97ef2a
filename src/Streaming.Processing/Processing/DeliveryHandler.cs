using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Streaming.Consumer.Telemetry;
using Streaming.Messaging.Consuming;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Diagnostics;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Resilience;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;

namespace Streaming.Consumer.Processing;

/// <summary>
/// Handles every delivery: process, publish the result with a confirm (in parts when it would pass the broker's
/// message size limit), then ack; <see cref="QuarantineRules"/> decides which. Every queue it reads or forwards to is
/// its pipeline's: a batch never leaves the pipeline it was published to. A batch that comes back from a consumer
/// that died or stalled is quarantined;
/// quarantined batches run alone and are split down to single lines when they come back again, so a poison line
/// fails alone. A batch this consumer cannot finish for its own reasons (a publish timeout, an alarm, a closed
/// channel, stopping) is handed back as a fresh message, so it is not taken for one that crashed a consumer.
/// A batch of a cancelled job (<see cref="CancelledJobs"/>), or one whose results queue is gone
/// (<see cref="ReplyQueueCheck"/>), is acknowledged without running the processor, and counted.
/// Nothing escapes a handler (the client would swallow it and leave the message unacked).
/// </summary>
internal sealed class DeliveryHandler(
    BatchProcessor processor, ProcessingGate gate, ConfirmingPublisher publisher, PipelineQueues pipeline, int maxLineBytes,
    int maxMessageBytes, ILogger logger, CancelledJobs cancelled, ReplyQueueCheck replyQueues)
    : IDisposable
{
    /// <summary>Room left in a message for its properties and headers: the broker's limit is on the body in
    /// RabbitMQ 3.x, but keep clear of it whatever a version counts.</summary>
    public const int PropertiesAllowance = 4096;

    private readonly CancellationTokenSource _abort = new();
    private int _inFlight;
    private volatile bool _stopping;

    public int InFlight => Volatile.Read(ref _inFlight);

    public void BeginStopping() => _stopping = true;

    /// <summary>Cancels work still in progress; it is handed back to the broker.</summary>
    public Task AbortAsync() => _abort.CancelAsync();

    public Task HandleWorkAsync(IChannel channel, BasicDeliverEventArgs delivery) =>
        HandleAsync(channel, delivery, DeliverySource.Work);

    public Task HandleQuarantineAsync(IChannel channel, BasicDeliverEventArgs delivery) =>
        HandleAsync(channel, delivery, DeliverySource.Quarantine);

    public Task HandleDeliveryLimitAsync(IChannel channel, BasicDeliverEventArgs delivery) =>
        HandleAsync(channel, delivery, DeliverySource.DeliveryLimit);

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery, DeliverySource source)
    {
        var queue = QueueOf(source);
        using var telemetry = ConsumerTracing.StartDelivery(delivery, queue);
        Interlocked.Increment(ref _inFlight);
        try
        {
            await HandleCoreAsync(channel, delivery, source);
        }
        catch (Exception ex) when (ex is OperationCanceledException && _abort.IsCancellationRequested)
        {
            await HandBackAsync(channel, delivery, source);
        }
        catch (Exception) when (!ChannelState.IsOpen(channel))
        {
            // The channel closed under the delivery (a broker restart, a lost connection: the service's connection
            // loop disposes it, so an ack throws ObjectDisposedException): the broker took the delivery back with it,
            // and there is nothing to hand back or to report beyond the connection's own log lines.
        }
        catch (Exception ex)
        {
            // Whatever a processor throws fails its line alone, and a malformed message is dead-lettered, so what
            // lands here is this consumer's trouble (no confirm in time, an alarm, a closed channel), never the batch's:
            // a nack would mark it redelivered, which the quarantine reads as "it crashed a consumer".
            ConsumerTracing.Failed(ex);
            ConsumerLog.DeliveryFailed(logger, queue, ex);
            await HandBackAsync(channel, delivery, source);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Carries out <see cref="QuarantineRules.Decide"/>'s decision for the delivery.</summary>
    private async Task HandleCoreAsync(IChannel channel, BasicDeliverEventArgs delivery, DeliverySource source)
    {
        var queue = QueueOf(source);
        var returns = Returns(delivery);
        // A batch back in the work queue is quarantined as it is, before it is decoded; every other is decoded first.
        LineBatch? batch = null;
        if (!(source == DeliverySource.Work && delivery.Redelivered)
            && (batch = await TryAcceptAsync(channel, delivery, queue)) is null)
        {
            return;
        }
        if (batch is not null && await SkipReasonAsync(delivery, batch.Header) is { } skipped)
        {
            await SkipAsync(channel, delivery, batch.Header, skipped);
            return;
        }
        var decision = QuarantineRules.Decide(source, batch?.Header.PartCount ?? 0, delivery.Redelivered, returns, _stopping);
        switch (decision.Action)
        {
            case DeliveryAction.Quarantine:
                // It was in the hands of a consumer that died, stalled or lost its connection: move it where it runs alone.
                await ForwardAsync(pipeline.Quarantine, delivery, delivery.Body);
                await AckAsync(channel, delivery);
                ConsumerTracing.Quarantined();
                if (TryReadHeader(delivery) is { } suspect)
                {
                    ConsumerLog.Quarantined(logger, suspect.Sequence, suspect.JobId);
                }
                return;
            case DeliveryAction.Split:
                await SplitAsync(batch!, delivery, returns);
                await AckAsync(channel, delivery);
                return;
            case DeliveryAction.FailAsPoison:
                await FailAsPoisonAsync(channel, delivery, batch!.Header, decision.Returns);
                return;
            case DeliveryAction.Requeue:
                if (source == DeliverySource.DeliveryLimit)
                {
                    var header = batch!.Header;
                    ConsumerLog.OverDeliveryLimit(logger, header.Sequence, header.JobId, header.PartFirstLine,
                        header.PartFirstLine + header.PartCount - 1);
                    ConsumerTracing.OverDeliveryLimit(queue);
                }
                // Count this return ourselves: brokers differ on whether a return raises x-delivery-count (4.3 does not).
                await ForwardAsync(pipeline.Quarantine, delivery, delivery.Body, _abort.Token, decision.Returns);
                await AckAsync(channel, delivery);
                return;
            case DeliveryAction.HandBack:
                await HandBackAsync(channel, delivery, source);
                return;
            case DeliveryAction.Process:
                await ProcessAndReplyAsync(channel, delivery, batch!, alone: false);
                return;
            case DeliveryAction.ProcessAlone:
                await ProcessAndReplyAsync(channel, delivery, batch!, alone: true);
                return;
            default:
                throw new InvalidOperationException($"no handling for {decision.Action}");
        }
    }

    /// <summary>Why the batch is not worth running, or null to run it.</summary>
    private async Task<string?> SkipReasonAsync(BasicDeliverEventArgs delivery, BatchHeader header)
    {
        if (cancelled.Contains(header.JobId))
        {
            return ConsumerMetrics.SkipReasons.JobCancelled;
        }
        return await replyQueues.IsGoneAsync(delivery.BasicProperties.ReplyTo!, _abort.Token)
            ? ConsumerMetrics.SkipReasons.ResultsQueueGone
            : null;
    }

    private async Task FailAsPoisonAsync(IChannel channel, BasicDeliverEventArgs delivery, BatchHeader header, long returns)
    {
        ConsumerLog.PoisonLine(logger, header.PartFirstLine, header.JobId, returns);
        var reason = $"the line crashed or stalled a consumer {returns} times when processed alone (poison line)";
        ConsumerTracing.PoisonLine(header.PartFirstLine, reason);
        var failed = new MessageWriter(256);
        failed.WriteEntry(LineStatus.Failed, System.Text.Encoding.UTF8.GetBytes(reason));
        failed.Complete(MessageKind.Result, header);
        await PublishResultAsync(channel, delivery, new ResultMessages(failed));
    }

    private string QueueOf(DeliverySource source) => source switch
    {
        DeliverySource.Work => pipeline.Work,
        DeliverySource.Quarantine => pipeline.Quarantine,
        DeliverySource.DeliveryLimit => pipeline.DeliveryLimit,
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    /// <summary>Processes the batch (alone: with no other batch in work), publishes its result, then acks.</summary>
    private async Task ProcessAndReplyAsync(IChannel channel, BasicDeliverEventArgs delivery, LineBatch batch, bool alone)
    {
        ResultMessages result;
        // A batch whose job is cancelled while it waits for its turn, or while it runs, stops there.
        using (var work = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token))
        using (cancelled.Watch(batch.Header.JobId, work))
        {
            try
            {
                result = await ProcessInTurnAsync(batch, alone, work.Token);
            }
            catch (OperationCanceledException) when (work.IsCancellationRequested && !_abort.IsCancellationRequested)
            {
                await SkipAsync(channel, delivery, batch.Header, ConsumerMetrics.SkipReasons.JobCancelled);
                return;
            }
        }
        if (result.Parts.Count > 1)
        {
            var limit = MessageLimit();
            ConsumerLog.ResultInParts(logger, batch.Header.Sequence, batch.Header.JobId, result.Parts.Count, limit);
            MessagingActivities.Event("result in parts", new KeyValuePair<string, object?>("streaming.result.parts", result.Parts.Count));
        }
        await PublishResultAsync(channel, delivery, result);
    }

    private async Task<ResultMessages> ProcessInTurnAsync(LineBatch batch, bool alone, CancellationToken cancellationToken)
    {
        await (alone ? gate.EnterExclusiveAsync(cancellationToken) : gate.EnterSharedAsync(cancellationToken));
        try
        {
            return await processor.ProcessAsync(batch, MessageLimit(), cancellationToken);
        }
        finally
        {
            if (alone)
            {
                gate.ExitExclusive();
            }
            else
            {
                gate.ExitShared();
            }
        }
    }

    /// <summary>Acknowledges the batch without a result, and counts it.</summary>
    private async Task SkipAsync(IChannel channel, BasicDeliverEventArgs delivery, BatchHeader header, string reason)
    {
        await AckAsync(channel, delivery);
        ConsumerMetrics.BatchSkipped(header.PartCount, reason);
        MessagingActivities.Event("skipped", new KeyValuePair<string, object?>(TelemetryNames.SkipReason, reason));
        ConsumerLog.Skipped(logger, header.Sequence, header.JobId, header.PartCount,
            reason == ConsumerMetrics.SkipReasons.JobCancelled ? "its job was cancelled" : "its results queue is gone");
    }

    /// <summary>Decodes the batch, or dead-letters the message with the reason and returns null.</summary>
    private async Task<LineBatch?> TryAcceptAsync(IChannel channel, BasicDeliverEventArgs delivery, string queue)
    {
        if (!TryDecode(delivery, out var batch, out var reason))
        {
            await DeadLetterAsync(channel, delivery, queue, reason!);
            return null;
        }
        if (!QueueNames.IsResultsQueue(delivery.BasicProperties.ReplyTo))
        {
            await DeadLetterAsync(channel, delivery, queue, "reply-to is not a Streaming results queue");
            return null;
        }
        ConsumerTracing.Batch(batch);
        return batch;
    }

    /// <summary>The header of a batch forwarded undecoded, for the log; null when it has none.</summary>
    private static BatchHeader? TryReadHeader(BasicDeliverEventArgs delivery)
    {
        try
        {
            return LineBatch.ReadHeader(delivery.Body.Span);
        }
        catch (MessageFormatException)
        {
            return null;
        }
    }

    private bool TryDecode(BasicDeliverEventArgs delivery, out LineBatch batch, out string? reason)
    {
        try
        {
            batch = LineBatch.Decode(delivery.Body, maxLineBytes);
            reason = null;
            return true;
        }
        catch (MessageFormatException ex)
        {
            batch = null!;
            reason = "malformed batch: " + ex.Message;
            return false;
        }
    }

    /// <summary>The largest result message to send: the configured limit, or the broker's when a closed channel
    /// told a smaller one.</summary>
    private int MessageLimit() =>
        Math.Min(maxMessageBytes, publisher.BrokerMaxMessageBytes ?? int.MaxValue) - PropertiesAllowance;

    private async Task PublishResultAsync(IChannel channel, BasicDeliverEventArgs delivery, ResultMessages result)
    {
        FaultInjection.Reach(FaultInjection.ConsumerBeforeResultPublished);
        using (result)
        {
            var properties = new BasicProperties { Persistent = true, ContentType = MessageHeaders.ResultContentType };
            var replyTo = delivery.BasicProperties.ReplyTo!;
            try
            {
                foreach (var part in result.Parts)
                {
                    await publisher.PublishAsync(replyTo, properties, part.WrittenMemory, mandatory: true, _abort.Token);
                }
            }
            catch (PublishException ex) when (ex.IsReturn)
            {
                // No such results queue: its job has finished (the collector deletes it) or never existed.
                ConsumerLog.ResultDropped(logger, replyTo);
                MessagingMetrics.Dropped(QueueNames.ResultsPrefix + "*", "job finished or unknown");
            }
        }
        FaultInjection.Reach(FaultInjection.ConsumerAfterResultConfirmed);
        await AckAsync(channel, delivery);
    }

    private async Task SplitAsync(LineBatch batch, BasicDeliverEventArgs delivery, long returns)
    {
        var header = batch.Header;
        ConsumerLog.Split(logger, header.Sequence, header.JobId, header.PartFirstLine, header.PartFirstLine + header.PartCount - 1, returns + 1);
        var (firstHalf, secondHalf) = QuarantineRules.SplitSizes(header.PartCount);
        ConsumerTracing.Split(firstHalf, secondHalf);
        await PublishPartAsync(batch, 0, firstHalf, delivery);
        await PublishPartAsync(batch, firstHalf, secondHalf, delivery);
    }

    private async Task PublishPartAsync(LineBatch batch, int start, int count, BasicDeliverEventArgs delivery)
    {
        using var part = new MessageWriter(batch.Body.Length);
        for (var i = start; i < start + count; i++)
        {
            part.WriteEntry(batch.Lines[i].Flag, batch.LineBytes(i).Span);
        }
        var body = part.Complete(MessageKind.Batch, batch.Header.Part(batch.Header.PartStart + start, count));
        await ForwardAsync(pipeline.Quarantine, delivery, body);
    }

    /// <summary>
    /// Gives a delivery back as a fresh message, carrying the returns it had, so that it does not look like it
    /// crashed anyone: a batch that came back to the work queue goes on to the quarantine, as it was about to.
    /// While the broker will not take it (an alarm, no confirm in time) it tries again, about 30 s at most, and until
    /// the service gives up its work; after that, or when it cannot try at all, it nacks: redelivered, the batch goes
    /// through the quarantine, which is slower, but a delivery held in an endless retry would hold its prefetch slot.
    /// A copy stored by an attempt that seemed to fail is one more delivery of the batch, whose duplicate result the
    /// collector drops.
    /// </summary>
    private async Task HandBackAsync(IChannel channel, BasicDeliverEventArgs delivery, DeliverySource source)
    {
        ConsumerTracing.HandedBack();
        var queue = QueueOf(source);
        var (targetSource, returns) = QuarantineRules.HandBackTarget(source, delivery.Redelivered, Returns(delivery));
        var target = QueueOf(targetSource);
        var failures = 0;
        var retry = TimeSpan.Zero;
        while (true)
        {
            if (!ChannelState.IsOpen(channel))
            {
                return;     // the broker took the delivery back with its channel
            }
            try
            {
                await ForwardAsync(target, delivery, delivery.Body, CancellationToken.None, returns);
                await AckAsync(channel, delivery);
                return;
            }
            catch (Exception ex) when (!_abort.IsCancellationRequested && ChannelState.IsOpen(channel) && failures + 1 < RetryDefaults.HandBack.MaxAttempts)
            {
                retry = RetryDefaults.HandBack.DelayAfter(++failures);
                ConsumerLog.HandBackRetry(logger, queue, ex.Message, retry.TotalSeconds);
            }
            catch (Exception ex)
            {
                ConsumerLog.DeliveryFailed(logger, queue, ex);
                await TryNackAsync(channel, delivery);
                return;
            }
            try
            {
                await Task.Delay(retry, _abort.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopping: one last attempt, then the nack.
            }
        }
    }

    private async Task DeadLetterAsync(IChannel channel, BasicDeliverEventArgs delivery, string queue, string reason)
    {
        ConsumerLog.DeadLettered(logger, queue, reason);
        await DeadLetters.PublishAsync(publisher, delivery.Body, delivery.BasicProperties.ContentType, queue, pipeline, reason, _abort.Token);
        await AckAsync(channel, delivery);
    }

    private Task ForwardAsync(string queue, BasicDeliverEventArgs delivery, ReadOnlyMemory<byte> body) =>
        ForwardAsync(queue, delivery, body, _abort.Token);

    /// <summary>Publishes a fresh copy (so the broker sees no earlier delivery), carrying our own return count.</summary>
    private Task ForwardAsync(
        string queue, BasicDeliverEventArgs delivery, ReadOnlyMemory<byte> body, CancellationToken cancellationToken, long returns = 0)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = MessageHeaders.BatchContentType,
            ReplyTo = delivery.BasicProperties.ReplyTo,
            Headers = returns > 0 ? new Dictionary<string, object?> { [MessageHeaders.Returns] = returns } : null,
        };
        return publisher.PublishAsync(queue, properties, body, mandatory: true, cancellationToken);
    }

    private static long Returns(BasicDeliverEventArgs delivery) =>
        QuarantineRules.Returns(
            delivery.BasicProperties.Headers?.TryGetValue(MessageHeaders.Returns, out var counted) == true ? counted : null,
            delivery.Redelivered);

    public void Dispose() => _abort.Dispose();

    private static Task AckAsync(IChannel channel, BasicDeliverEventArgs delivery) =>
        channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None).AsTask();

    private async Task TryNackAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        try
        {
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
        }
        catch (Exception) when (!ChannelState.IsOpen(channel))
        {
            // The channel is gone; the broker returns the message by itself.
        }
        catch (Exception ex)
        {
            ConsumerLog.DeliveryFailed(logger, "nack", ex);
        }
    }
}
