namespace Streaming.Producer.Job.Input;

/// <summary>What decides where batches end; part of a job's identity (a resumed job must cut the same batches).</summary>
/// <param name="BatchLines">A batch holds at most this many lines.</param>
/// <param name="BatchBytes">A batch's line bytes stay within this, unless its single line is longer.</param>
/// <param name="MaxLineBytes">A longer line is sent as an over-limit marker and fails.</param>
internal sealed record CutSettings(int BatchLines, int BatchBytes, int MaxLineBytes);
