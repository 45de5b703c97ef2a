using Streaming.Messaging.Contract;

namespace Streaming.Consumer.Processors;

/// <summary>Where a <see cref="ILineRunProcessor"/> puts each line's outcome.</summary>
internal interface ILineRunResults
{
    /// <summary>Line <paramref name="index"/> of the batch produced <paramref name="output"/> (copied at once).</summary>
    void Succeeded(int index, ReadOnlySpan<byte> output);

    /// <summary>Line <paramref name="index"/> of the batch failed with <paramref name="reason"/>.</summary>
    void Failed(int index, string reason);
}

/// <summary>
/// A processor that takes consecutive lines at once so that it can have many in flight (<c>exec:</c> pipelines them
/// through a worker process); one line at a time would cost a round trip per line. Like any processor, an instance is
/// never called concurrently.
/// </summary>
internal interface ILineRunProcessor : ILineProcessor
{
    /// <summary>The most lines one <see cref="ProcessRunAsync"/> call takes.</summary>
    int MaxRunLines { get; }

    /// <summary>Processes lines <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 of
    /// the batch, and reports every one of them to <paramref name="results"/> exactly once before completing.</summary>
    /// <exception cref="OperationCanceledException">The service is stopping; the batch is handed back.</exception>
    Task ProcessRunAsync(LineBatch batch, int start, int count, ILineRunResults results, CancellationToken cancellationToken);

    /// <summary>Called once this instance has had its last run of <paramref name="batch"/>, before the batch's result
    /// is built, without a slot of the concurrency (it does no line's work): waits until the answers reported so far
    /// can be trusted. True when some of them cannot (an <c>exec:</c> worker wrote more answers than lines): the
    /// caller then takes a slot and calls <see cref="RunAgainAsync"/>.</summary>
    /// <exception cref="OperationCanceledException">The service is stopping; the batch is handed back.</exception>
    Task<bool> SettleBatchAsync(LineBatch batch, CancellationToken cancellationToken);

    /// <summary>Runs again the lines <see cref="SettleBatchAsync"/> found in doubt, correcting their outcomes through
    /// <paramref name="results"/>.</summary>
    /// <exception cref="OperationCanceledException">The service is stopping; the batch is handed back.</exception>
    Task RunAgainAsync(LineBatch batch, ILineRunResults results, CancellationToken cancellationToken);
}
