using System.Diagnostics;
using System.Globalization;
using Streaming.Bench.InProcessLimit;
using Streaming.Consumer.Processors;

// The machine's limit for a processor: the same processor code over the same file on every core, in one process,
// with no broker. Output is byte-identical to Streaming's <name>.out, so the benchmark can check it.
//   InProcessLimit <processor> <input> <output> [threads]
if (args.Length is < 3 or > 4)
{
    Console.Error.WriteLine("usage: InProcessLimit <processor> <input> <output> [threads]");
    return 2;
}
var factory = ProcessorCatalog.CreateDefault().Resolve(args[0], out var error);
if (factory is null)
{
    Console.Error.WriteLine($"InProcessLimit: {error}");
    return 2;
}
var threads = args.Length == 4 ? int.Parse(args[3], CultureInfo.InvariantCulture) : Environment.ProcessorCount;

var clock = Stopwatch.StartNew();
var lines = await OrderedBlockPipeline.RunAsync(factory, args[1], args[2], threads, CancellationToken.None);
var seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"lines\": {lines}, \"seconds\": {seconds:0.000}, \"threads\": {threads}}}"));
return 0;
