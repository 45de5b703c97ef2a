using System.Diagnostics;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>
/// Watches a job's output grow (<c>NAME.out.partial</c>, then <c>NAME.out</c>) every 50 ms and answers how long it
/// stood still: the longest gap between two growths inside a window, which is how long a fault stalled the pipeline.
/// </summary>
internal sealed class StallMeter : IAsyncDisposable
{
    private static readonly TimeSpan s_sampleInterval = TimeSpan.FromMilliseconds(50);

    private readonly string _inputPath;
    private readonly Lock _lock = new();
    private readonly List<TimeSpan> _growths = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private TimeSpan? _finishedAt;

    private StallMeter(string inputPath)
    {
        _inputPath = inputPath;
        _sampling = SampleAsync(_stop.Token);
    }

    public static StallMeter Start(string inputPath) => new(inputPath);

    /// <summary>A point in time on this meter's clock, to open or close a window.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>The longest time without growth between <paramref name="from"/> and <paramref name="to"/> (or until
    /// the output was complete, or now): from the window's start to the first growth, between growths, and from the
    /// last growth to the window's end.</summary>
    public TimeSpan LongestStall(TimeSpan from, TimeSpan? to = null)
    {
        lock (_lock)
        {
            var end = to ?? _finishedAt ?? _clock.Elapsed;
            if (_finishedAt is { } finished && finished < end)
            {
                end = finished;
            }
            var longest = TimeSpan.Zero;
            var previous = from;
            foreach (var growth in _growths.Where(g => g > from && g <= end))
            {
                longest = Max(longest, growth - previous);
                previous = growth;
            }
            return Max(longest, end - previous);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        long last = -1;
        while (!cancellationToken.IsCancellationRequested)
        {
            var done = File.Exists(_inputPath + ".out");
            var length = Length(done ? _inputPath + ".out" : _inputPath + ".out.partial");
            lock (_lock)
            {
                if (length > last && last >= 0)
                {
                    _growths.Add(_clock.Elapsed);
                }
                if (done)
                {
                    _finishedAt = _clock.Elapsed;
                    return;
                }
            }
            last = Math.Max(last, length);
            try
            {
                await Task.Delay(s_sampleInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static long Length(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
