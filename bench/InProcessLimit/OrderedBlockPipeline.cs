using System.Buffers;
using System.Threading.Channels;
using Streaming.Consumer.Processors;

namespace Streaming.Bench.InProcessLimit;

/// <summary>
/// Reads the input in blocks of whole lines, processes blocks on <c>threads</c> workers (one processor instance each),
/// and writes the outputs in input order. At most <c>2 × threads</c> blocks are in memory at once.
/// </summary>
internal static class OrderedBlockPipeline
{
    private const int BlockBytes = 1024 * 1024;

    public static async Task<long> RunAsync(
        LineProcessorFactory factory, string input, string output, int threads, CancellationToken cancellationToken)
    {
        var processors = new Stack<ILineProcessor>(Enumerable.Range(0, threads).Select(_ => factory()));
        using var workers = new SemaphoreSlim(threads, threads);
        var ordered = Channel.CreateBounded<Task<ArrayBufferWriter<byte>>>(2 * threads);
        long lines = 0;

        var writing = Task.Run(async () =>
        {
            await using var sink = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, BlockBytes);
            await foreach (var block in ordered.Reader.ReadAllAsync(cancellationToken))
            {
                var bytes = await block;
                await sink.WriteAsync(bytes.WrittenMemory, cancellationToken);
            }
        }, cancellationToken);

        await foreach (var block in LineBlocks.ReadAsync(input, BlockBytes, cancellationToken))
        {
            lines += block.Count;
            await workers.WaitAsync(cancellationToken);
            await ordered.Writer.WriteAsync(Task.Run(async () =>
            {
                ILineProcessor processor;
                lock (processors)
                {
                    processor = processors.Pop();
                }
                try
                {
                    return await ProcessAsync(processor, block, cancellationToken);
                }
                finally
                {
                    lock (processors)
                    {
                        processors.Push(processor);
                    }
                    workers.Release();
                }
            }, cancellationToken), cancellationToken);
        }
        ordered.Writer.Complete();
        await writing;
        return lines;
    }

    private static async Task<ArrayBufferWriter<byte>> ProcessAsync(
        ILineProcessor processor, LineBlock block, CancellationToken cancellationToken)
    {
        var output = new ArrayBufferWriter<byte>(block.Bytes.Length + block.Count);
        for (var i = 0; i < block.Count; i++)
        {
            // The benchmark inputs have no failing lines: a failure ends the run rather than being measured.
            await processor.ProcessAsync(block.Line(i), output, cancellationToken);
            output.GetSpan(1)[0] = (byte)'\n';
            output.Advance(1);
        }
        return output;
    }
}
