using System.Threading.Channels;
using Polly;
using RabbitMQ.Client;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Diagnostics;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Results;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Job.Publishing;

/// <summary>
/// Publishes a job's batches to its pipeline's work queue, each with a confirm and retried until confirmed: the first time in
/// input order, no further ahead than the job's window allows, and again when the <see cref="Retransmitter"/> asks.
/// Every batch answers to the process's results queue of the moment (<see cref="BatchProperties"/>), and is recorded
/// in the job's ledger before it goes.
/// A job without a <see cref="PublishWatermark"/> (standard input: nothing to resume) counts no republished lines.
/// </summary>
internal sealed class BatchPublisher(
    JobState state, JobWindow window, PublishWatermark? watermark, IResultsAddress results, ConfirmingPublisher publisher,
    IConnection connection, ResiliencePipeline retry, PipelineQueues pipeline, JobContext context)
    : IBatchSender
{
    private static readonly TimeSpan s_consumerCheckTimeout = TimeSpan.FromSeconds(10);

    private readonly BatchProperties _properties = new(state.JobId, results);

    /// <summary>
    /// Cuts the input from <paramref name="input"/>'s position to its end and publishes every batch, at most
    /// <paramref name="publishesInFlight"/> awaiting their confirm; <paramref name="cutThrough"/> hears how many batches
    /// are cut so far. Returns the number of batches of the whole file once every publish is confirmed.
    /// </summary>
    public async Task<long> PublishAllAsync(
        InputCursor input, int publishesInFlight, Action<long> cutThrough, CancellationToken cancellationToken)
    {
        var writers = Channel.CreateBounded<MessageWriter>(publishesInFlight);
        var allWriters = Enumerable.Range(0, publishesInFlight).Select(_ => new MessageWriter()).ToList();
        allWriters.ForEach(w => writers.Writer.TryWrite(w));
        var inFlight = new List<Task>(publishesInFlight);
        try
        {
            while (true)
            {
                await window.TakeShareAsync(cancellationToken);
                var writer = await writers.Reader.ReadAsync(cancellationToken);
                var batch = await input.CutAsync(writer, cancellationToken);
                if (batch is null)
                {
                    window.ReturnShare();
                    break;
                }
                await window.WaitForRoomAsync(batch.Sequence, cancellationToken);
                state.Record(batch, context.Time.GetTimestamp());
                await ObserveFailuresAsync(inFlight);
                watermark?.Publishing(batch.FirstLine, batch.LineCount);
                inFlight.Add(PublishAsync(batch, writer, writers.Writer, cancellationToken));
                cutThrough(input.NextSequence);
            }
            await Task.WhenAll(inFlight);
            return input.NextSequence;
        }
        finally
        {
            await Task.WhenAll(inFlight).ContinueWith(static _ => { }, TaskScheduler.Default);
            allWriters.ForEach(w => w.Dispose());
        }
    }

    public Task PublishAgainAsync(CutBatch batch, CancellationToken cancellationToken)
    {
        watermark?.Retransmitting(batch.LineCount);
        return PublishBatchAsync(batch, cancellationToken);
    }

    public async Task<bool> ConsumersAttachedAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_consumerCheckTimeout);
        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token);
            var answer = await channel.QueueDeclarePassiveAsync(pipeline.Work, timeout.Token);
            return answer.ConsumerCount > 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task PublishAsync(CutBatch batch, MessageWriter writer, ChannelWriter<MessageWriter> pool, CancellationToken cancellationToken)
    {
        try
        {
            await PublishBatchAsync(batch, cancellationToken);
        }
        finally
        {
            pool.TryWrite(writer);
        }
    }

    /// <summary>Publishes until confirmed; a publish whose outcome is unknown is sent again (the collector deduplicates).</summary>
    private async Task PublishBatchAsync(CutBatch batch, CancellationToken cancellationToken)
    {
        using var activity = ProducerTracing.StartBatch(batch, _properties.CorrelationId, pipeline.Work);
        var message = _properties.ForPublish();
        await retry.ExecuteAsync(
            async token =>
            {
                PublishLog.Publishing(context.Logger, batch.Sequence, batch.FirstLine, batch.FirstLine + batch.LineCount - 1);
                await publisher.PublishAsync(pipeline.Work, message, batch.Body, mandatory: true, token);
            },
            cancellationToken);
        ProducerMetrics.Published(batch.LineCount);
        FaultInjection.Reach(FaultInjection.ProducerAfterBatchConfirmed);
    }

    private static async Task ObserveFailuresAsync(List<Task> inFlight)
    {
        foreach (var task in inFlight)
        {
            if (task.IsFaulted || task.IsCanceled)
            {
                await task;
            }
        }
        inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
    }
}
