namespace Streaming.Producer.Watching;

/// <summary>What one look at the inbox found.</summary>
/// <param name="Ready">Regular files unchanged for the quiet period, oldest first.</param>
/// <param name="Unprocessable">Entries unchanged for the quiet period that are not regular files, with the reason.</param>
/// <param name="Vanished">Entries listed (in this scan or an earlier one) that are gone before they could be taken.</param>
/// <param name="NewlySeen">Entries seen for the first time.</param>
/// <param name="NotUtf8">Entries listed under a name .NET cannot find again: bytes that are not UTF-8, shown as U+FFFD.</param>
/// <param name="PassEnded">False when the inbox holds more than one scan lists: the next scan goes on with the rest.</param>
internal sealed record InboxScan(
    IReadOnlyList<string> Ready,
    IReadOnlyList<(string Name, string Reason)> Unprocessable,
    IReadOnlyList<string> Vanished,
    IReadOnlyList<string> NewlySeen,
    IReadOnlyList<string> NotUtf8,
    bool PassEnded);
