using Streaming.Consumer.Processors;

namespace Streaming.UnitTests.Processing.Processors.Exec;

public sealed class ExecSpecTests
{
    [Theory]
    [InlineData("exec", "processor 'exec' needs a command line, e.g. 'exec:python3 worker.py'")]
    [InlineData("exec:", "processor 'exec' needs a command line, e.g. 'exec:python3 worker.py'")]
    [InlineData("exec:   ", "processor 'exec' needs a command line, e.g. 'exec:python3 worker.py'")]
    [InlineData("exec:cat | rev", "exec: '|' needs a shell, and none is run: quote it to pass it on, or run the shell yourself (exec:sh -c '…')")]
    [InlineData("exec:no-such-program-for-streaming x", "exec: 'no-such-program-for-streaming' was not found on PATH")]
    [InlineData("exec:/", "exec: '/' is not a file")]
    public void Resolve_ExecSpecThatCannotRun_OneLineReason(string spec, string expected)
    {
        var factory = ProcessorCatalog.CreateDefault().Resolve(spec, out var error);

        Assert.Null(factory);
        Assert.Equal(expected, error);
    }

    [Fact]
    public async Task Resolve_ExecCat_EachSlotRunsItsOwnWorker()
    {
        var factory = ProcessorCatalog.CreateDefault().Resolve("exec:cat", out var error);
        Assert.Null(error);
        var first = factory!();
        var second = factory();

        Assert.NotSame(first, second);
        Assert.Equal("a line"u8.ToArray(), await ProcessorRun.OutputAsync(first, "a line"u8.ToArray()));
        await ((IAsyncDisposable)first).DisposeAsync();
        await ((IAsyncDisposable)second).DisposeAsync();
    }
}
