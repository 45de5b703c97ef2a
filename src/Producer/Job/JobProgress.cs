using System.Globalization;
using Streaming.Messaging.Hosting;

namespace Streaming.Producer.Job;

/// <summary>A moment's view of one job, for the progress display and the watch service's progress log.</summary>
internal readonly record struct JobProgress(
    string Name, bool Started, bool Done, long LinesWritten, long LinesAtStart, long BytesWritten, long BytesTotal,
    long FailedLines, TimeSpan Elapsed)
{
    /// <summary>One printable line: how far the job is, its rate, and how long it has left.</summary>
    public string Describe()
    {
        var done = LinesWritten;
        if (BytesTotal <= 0)
        {
            return DescribeWithoutTotal();
        }
        var fraction = BytesTotal > 0 ? (double)BytesWritten / BytesTotal : 0;
        var estimatedTotal = fraction > 0 ? (long)(done / fraction) : 0;
        var rate = Elapsed.TotalSeconds > 0 ? (done - LinesAtStart) / Elapsed.TotalSeconds : 0;
        var remaining = rate > 0 && estimatedTotal > done ? TimeSpan.FromSeconds((estimatedTotal - done) / rate) : (TimeSpan?)null;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{UsageErrors.Printable(Name)}: {done:N0} of ~{estimatedTotal:N0} lines ({fraction:P0}), {rate:N0} lines/s");
        if (remaining is { } eta)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", ETA {(int)eta.TotalMinutes}:{eta.Seconds:00}");
        }
        if (FailedLines > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {FailedLines:N0} failed");
        }
        return text;
    }

    /// <summary>A stream's progress (standard input): no total to measure against.</summary>
    private string DescribeWithoutTotal()
    {
        var rate = Elapsed.TotalSeconds > 0 ? LinesWritten / Elapsed.TotalSeconds : 0;
        var text = string.Create(CultureInfo.InvariantCulture, $"{UsageErrors.Printable(Name)}: {LinesWritten:N0} lines, {rate:N0} lines/s");
        return FailedLines > 0 ? text + string.Create(CultureInfo.InvariantCulture, $", {FailedLines:N0} failed") : text;
    }
}
