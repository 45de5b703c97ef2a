namespace Streaming.Producer.Job.Input;

/// <summary>One batch as cut from the file: where it sits, and its encoded message.</summary>
internal sealed record CutBatch(long Sequence, long FirstLine, int LineCount, long StartOffset, long EndOffset, ReadOnlyMemory<byte> Body);
