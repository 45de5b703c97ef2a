using Microsoft.Extensions.Logging;

namespace Streaming.Producer.Watching;

internal static partial class WatchLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Information,
        Message = "Watching {Inbox}: a file is taken once unchanged for {QuietMs} ms; {FilesAtOnce} files at once, {Window} batches in flight in all")]
    public static partial void Watching(ILogger logger, string inbox, int quietMs, int filesAtOnce, int window);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Inbox: {Name} seen; waiting until it stops changing")]
    public static partial void Seen(ILogger logger, string name);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Inbox: {Name} taken into processing/ as {ProcessingName}")]
    public static partial void Taken(ILogger logger, string name, string processingName);

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Processing: resuming {Name} left by an earlier run")]
    public static partial void Resuming(ILogger logger, string name);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information,
        Message = "Done: {Name}: {Lines} lines, {Failed} failed, {Republished} published more than once, in {Seconds:0.0} s -> {Output}")]
    public static partial void Done(ILogger logger, string name, long lines, long failed, long republished, double seconds, string output);

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "Failed: {Name}: {Reason} (see {ReasonFile})")]
    public static partial void Failed(ILogger logger, string name, string reason, string reasonFile);

    [LoggerMessage(EventId = 507, Level = LogLevel.Warning, Message = "Processing {Name} stopped ({Reason}); trying again from its checkpoint in {DelaySeconds:0} s")]
    public static partial void Retrying(ILogger logger, string name, string reason, double delaySeconds);

    [LoggerMessage(EventId = 508, Level = LogLevel.Information, Message = "Stopped while processing {Name}; it stays in processing/ and resumes from its checkpoint on the next start")]
    public static partial void Interrupted(ILogger logger, string name);

    [LoggerMessage(EventId = 509, Level = LogLevel.Information, Message = "Progress: {Progress}")]
    public static partial void Progress(ILogger logger, string progress);

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Could not move {Name} out of the way ({Reason}); trying again later")]
    public static partial void MoveFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 511, Level = LogLevel.Information, Message = "Stopping: {Count} files in flight keep their checkpoints")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(EventId = 515, Level = LogLevel.Warning, Message = "Lost the broker while starting ({Reason}); starting again in {DelaySeconds} s")]
    public static partial void StartInterrupted(ILogger logger, string reason, double delaySeconds);

    [LoggerMessage(EventId = 514, Level = LogLevel.Critical, Message = "Cannot watch: {Reason}")]
    public static partial void TopologyMismatch(ILogger logger, string reason);

    [LoggerMessage(EventId = 512, Level = LogLevel.Error, Message = "The watch service failed")]
    public static partial void ServiceFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 513, Level = LogLevel.Warning, Message = "Cannot list {Folder} ({Reason}); trying again")]
    public static partial void ListFailed(ILogger logger, string folder, string reason);

    [LoggerMessage(EventId = 517, Level = LogLevel.Information,
        Message = "Cancelled: {Name} was removed from processing/; nothing more is published for it, and its outputs and checkpoint are removed")]
    public static partial void Cancelled(ILogger logger, string name);

    [LoggerMessage(EventId = 518, Level = LogLevel.Warning,
        Message = "Cancelled: {Name} was removed from processing/, but its outputs could not all be removed from {Outbox} ({Reason})")]
    public static partial void CancelCleanupFailed(ILogger logger, string name, string outbox, string reason);

    [LoggerMessage(EventId = 519, Level = LogLevel.Information,
        Message = "Inbox: {Shown}, whose name is not valid UTF-8, renamed to {Name} (each invalid byte written %XX), so that it can be processed")]
    public static partial void RenamedNotUtf8(ILogger logger, string shown, string name);

    [LoggerMessage(EventId = 520, Level = LogLevel.Warning,
        Message = "Inbox: {Shown}, whose name is not valid UTF-8, cannot be renamed ({Reason}); it is left in the inbox untouched")]
    public static partial void NotUtf8RenameFailed(ILogger logger, string shown, string reason);

    [LoggerMessage(EventId = 516, Level = LogLevel.Warning,
        Message = "Inbox events unavailable ({Reason}); new files are found by listing the inbox every {PollMs} ms")]
    public static partial void EventsUnavailable(ILogger logger, string reason, int pollMs);

    [LoggerMessage(EventId = 530, Level = LogLevel.Information, Message = "Redrive: running {Lines} failed lines of {Name} again")]
    public static partial void Redriving(ILogger logger, string name, long lines);

    [LoggerMessage(EventId = 531, Level = LogLevel.Information,
        Message = "Redrive: {Name} done: {Lines} lines run again, {StillFailing} still failing")]
    public static partial void Redriven(ILogger logger, string name, long lines, long stillFailing);

    [LoggerMessage(EventId = 532, Level = LogLevel.Information, Message = "Redrive: {Drop} lists no line; nothing to redrive")]
    public static partial void NothingToRedrive(ILogger logger, string drop);

    [LoggerMessage(EventId = 533, Level = LogLevel.Information,
        Message = "Redrive: {Drop} interrupted; it stays in redrive/ and goes on from its checkpoint")]
    public static partial void RedriveInterrupted(ILogger logger, string drop);
}
