using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Streaming.Messaging.Hosting;

namespace Streaming.Producer.Watching;

/// <summary>Settings of <c>Producer watch</c>. Section <c>Watch</c>; environment <c>Watch__QuietPeriodMilliseconds</c> etc.</summary>
internal sealed class WatchOptions
{
    public const string SectionName = "Watch";

    /// <summary>Reads and checks this section without reflection (<see cref="OptionsSection{T}"/>).</summary>
    public static readonly OptionsSection<WatchOptions> Section =
        new(SectionName, static (configuration, options) => configuration.Bind(options), new WatchOptionsValidator());

    /// <summary>The data folder: <c>inbox/</c>, <c>processing/</c>, <c>outbox/</c>, <c>done/</c>, <c>failed/</c> inside.</summary>
    [Required]
    public string Data { get; set; } = "data";

    /// <summary>An inbox entry is taken once its size and modification time have not changed for this long.</summary>
    [Range(0, 3_600_000)]
    public int QuietPeriodMilliseconds { get; set; } = 2000;

    /// <summary>How often the inbox is listed even when no file-system event says it changed: events are missed on
    /// bind mounts and network file systems, and lost when the kernel's queue overflows.</summary>
    [Range(10, 60_000)]
    public int PollIntervalMilliseconds { get; set; } = 500;

    /// <summary>Files processed at the same time; more wait in the inbox (or in processing/ after a restart). Many,
    /// because a small file spends most of its time on broker round trips (its results queue); memory stays bounded
    /// by <see cref="Window"/>, which every file in flight shares.</summary>
    [Range(1, 64)]
    public int FilesAtOnce { get; set; } = 32;

    /// <summary>
    /// Batches in flight (published, not yet written) across all files together: the one memory bound of the
    /// service, shared fairly (a file that holds fewer gets the next one), and the most work a newly dropped file
    /// can find queued ahead of it.
    /// </summary>
    [Range(1, 100_000)]
    public int Window { get; set; } = 16;

    /// <summary>
    /// Whether an inbox entry that is a symbolic link is read through (only ever to a regular file). Off by default:
    /// whoever may write the inbox could otherwise have the service read any file it can, and publish it.
    /// </summary>
    public bool FollowSymlinks { get; set; }

    /// <summary>Writes the outputs compressed: <c>gzip</c> (<c>&lt;name&gt;.out.gz</c>) or <c>zstd</c>
    /// (<c>&lt;name&gt;.out.zst</c>); <c>none</c> by default.</summary>
    [AllowedValues("none", "gzip", "zstd", ErrorMessage = "must be none, gzip or zstd")]
    public string Compress { get; set; } = "none";
}

/// <summary>The attributes of <see cref="WatchOptions"/>, checked by generated code.</summary>
[OptionsValidator]
internal sealed partial class WatchOptionsValidator : IValidateOptions<WatchOptions>;
