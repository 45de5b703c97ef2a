using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Streaming.UnitTests.Producer;

/// <summary>Records the exceptions thrown (caught or not) by code that runs in the execution context of the test that
/// started watching, including async continuations it started; tests running beside it are not seen.</summary>
internal sealed class ThrownExceptions : IDisposable
{
    private static readonly AsyncLocal<ThrownExceptions?> s_current = new();
    private readonly ConcurrentQueue<Exception> _thrown = new();

    private ThrownExceptions()
    {
    }

    /// <summary>Starts recording in the caller's execution context (a synchronous method: the value stays with the caller).</summary>
    public static ThrownExceptions Watch()
    {
        var watch = new ThrownExceptions();
        s_current.Value = watch;
        AppDomain.CurrentDomain.FirstChanceException += watch.OnThrown;
        return watch;
    }

    public IReadOnlyCollection<Exception> Thrown => _thrown.ToArray();

    public void Dispose()
    {
        AppDomain.CurrentDomain.FirstChanceException -= OnThrown;
        s_current.Value = null;
    }

    private void OnThrown(object? sender, FirstChanceExceptionEventArgs e)
    {
        if (ReferenceEquals(s_current.Value, this))
        {
            _thrown.Enqueue(e.Exception);
        }
    }
}
