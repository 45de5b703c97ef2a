using System.Text.Json;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>A quorum queue's members (node indexes) and its leader, from <c>rabbitmq-queues quorum_status</c>.</summary>
public sealed record QuorumStatus(IReadOnlyList<int> Members, int? Leader)
{
    /// <summary>Parses the JSON formatter's output: one object per member with "Node Name" and "Raft State".</summary>
    public static QuorumStatus Parse(string json, IReadOnlyList<string> nodeNames)
    {
        using var document = JsonDocument.Parse(json);
        var members = new List<int>();
        int? leader = null;
        foreach (var member in document.RootElement.EnumerateArray())
        {
            var index = nodeNames.ToList().IndexOf(member.GetProperty("Node Name").GetString()!);
            members.Add(index);
            if (member.GetProperty("Raft State").GetString() == "leader")
            {
                leader = index;
            }
        }
        return new QuorumStatus(members.Order().ToArray(), leader);
    }
}
