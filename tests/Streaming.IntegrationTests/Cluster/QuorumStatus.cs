using System.Text.Json;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>A quorum queue's members that answered (node indexes) and its leader, from <c>rabbitmq-queues quorum_status</c>.</summary>
public sealed record QuorumStatus(IReadOnlyList<int> Members, int? Leader)
{
    /// <summary>Parses the JSON formatter's output: one object per member that answered, with "Node Name" and "Raft State".</summary>
    public static QuorumStatus Parse(string json, IReadOnlyList<string> nodeNames)
    {
        using var document = JsonDocument.Parse(json);
        var members = new List<int>();
        int? leader = null;
        foreach (var member in document.RootElement.EnumerateArray())
        {
            // A member whose node is down comes with an error term (a JSON array) instead of its state.
            if (member.ValueKind != JsonValueKind.Object
                || !member.TryGetProperty("Node Name", out var name) || name.ValueKind != JsonValueKind.String
                || !member.TryGetProperty("Raft State", out var state) || state.ValueKind != JsonValueKind.String)
            {
                continue;
            }
            var index = nodeNames.ToList().IndexOf(name.GetString()!);
            members.Add(index);
            if (state.GetString() == "leader")
            {
                leader = index;
            }
        }
        return new QuorumStatus(members.Order().ToArray(), leader);
    }
}
