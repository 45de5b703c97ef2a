using System.Diagnostics;
using System.Globalization;
using Streaming.Bench.BrokerLimit;

// The broker's own ceiling for Streaming's shape of pipeline (issue 26): a producer publishes 1 MiB batches of whole
// lines, persistent and confirmed, 32 in flight, to a quorum queue; consumer processes republish each body, confirmed,
// to a second quorum queue, then ack; the producer writes each body back at its offset. Its output is the identity
// processor's, byte for byte, so the benchmark checks it like any other system's.
//   BrokerLimit consume <uri> <run> [prefetch] [--codec C]                         prints "ready", runs until SIGTERM
//   BrokerLimit produce <uri> <run> <input> <output> [batch-bytes] [in-flight] [--codec C]   prints {"lines", "seconds"}
// --codec none|zstd|lz4 (the same on both sides): how the bodies travel (ProbeCodec).
try
{
    var codec = ProbeCodec.None;
    if (args is [.. var front, "--codec", var name])
    {
        codec = ProbeCodecs.Parse(name);
        args = front;
    }
    switch (args)
    {
        case ["consume", var uri, var run, .. var rest] when rest.Length <= 1:
            using (var stop = new CancellationTokenSource())
            {
                using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
                    System.Runtime.InteropServices.PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
                return await ProbeConsumer.RunAsync(uri, run, rest.Length == 1 ? ushort.Parse(rest[0], CultureInfo.InvariantCulture) : (ushort)4, codec, stop.Token);
            }
        case ["produce", var uri, var run, var input, var output, .. var rest] when rest.Length <= 2:
            var batchBytes = rest.Length >= 1 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 1024 * 1024;
            var inFlight = rest.Length == 2 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 32;
            var clock = Stopwatch.StartNew();
            var lines = await ProbeProducer.RunAsync(uri, run, input, output, batchBytes, inFlight, codec, CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"lines\": {lines}, \"seconds\": {clock.Elapsed.TotalSeconds:0.000}, \"batch_bytes\": {batchBytes}, \"in_flight\": {inFlight}, \"codec\": \"{codec.ToString().ToLowerInvariant()}\"}}"));
            return 0;
        default:
            Console.Error.WriteLine("usage: BrokerLimit consume <uri> <run> [prefetch] | produce <uri> <run> <input> <output> [batch-bytes] [in-flight] [--codec none|zstd|lz4]");
            return 2;
    }
}
catch (FormatException ex)
{
    Console.Error.WriteLine($"BrokerLimit: {ex.Message}");
    return 2;
}
