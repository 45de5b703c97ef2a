using System.Diagnostics;
using Streaming.Consumer.Processors.Exec;

namespace Streaming.UnitTests.Processing.Processors.Exec;

public sealed class PipeBacklogTests
{
    [Fact]
    public async Task Of_ProcessWroteFourBytesNotYetRead_FourThenNoneOnceRead()
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("printf 'abc\\n'; exec sleep 30");
        using var process = Process.Start(info)!;
        try
        {
            var output = process.StandardOutput.BaseStream;
            var waiting = 0;
            for (var look = 0; look < 250 && waiting == 0; look++)
            {
                await Task.Delay(20);
                waiting = PipeBacklog.Of(output) ?? -1;
            }
            Assert.Equal(4, waiting);

            Assert.Equal(4, await output.ReadAsync(new byte[16]));
            Assert.Equal(0, PipeBacklog.Of(output));
            Assert.Null(PipeBacklog.Of(new MemoryStream()));
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
