using System.Text.Json;
using Otherix.Api.Nodes;
using Otherix.Control.Store;
using Otherix.Control.Users;

namespace Otherix.Control.Nodes;

/// <summary>Node records to API shapes.</summary>
internal static class NodeMapping
{
    public static string StatusName(NodeStatus status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    /// <summary>
    /// The full view; the <c>*_effective</c> figures are the last heartbeat's minus what the VMs placed
    /// on the node since then will take (their vCPUs and memory), which that heartbeat could not show.
    /// </summary>
    public static Node ToApi(this NodeRecord n, IStateStore store)
    {
        var unreported = Vms.Placement.PlacedSince(store, n.Name, n.LastHeartbeatAt).ToList();
        return new(
            n.Id, n.Name, n.Architecture, n.AdvertisedEndpoint, StatusName(n.Status), n.CordonedAt is not null, UserMapping.Utc(n.CordonedAt),
            UserMapping.Utc(n.LastHeartbeatAt), n.AgentVersion, n.Facts.CpuCoresTotal, n.Facts.CpuCoresAvailable,
            Math.Max(0, n.Facts.CpuCoresAvailable - unreported.Sum(v => v.Vcpus)), n.Facts.MemoryTotalMib, n.Facts.MemoryAvailableMib,
            Math.Max(0, n.Facts.MemoryAvailableMib - unreported.Sum(v => (long)v.MemoryMib)),
            n.Facts.SystemDiskTotalBytes, n.Facts.SystemDiskAvailableBytes, n.Facts.CpuModel, n.Facts.KernelVersion, n.Facts.LibvirtVersion, n.Facts.QemuVersion,
            n.Facts.Acceleration, new NodeMigration(n.Facts.MigrationHost, n.Facts.MigrationPortStart, n.Facts.MigrationPortEnd),
            UserMapping.Utc(n.CertNotAfter)!.Value, UserMapping.Utc(n.CreatedAt)!.Value, UserMapping.Utc(n.UpdatedAt)!.Value);
    }

    public static NodeSummary ToSummary(this NodeRecord n) =>
        new(n.Id, n.Name, n.Architecture, StatusName(n.Status), n.CordonedAt is not null, UserMapping.Utc(n.CreatedAt)!.Value);

    public static JoinToken ToApi(this JoinTokenRecord t) => new(
        t.Id, t.NodeName, UserMapping.Utc(t.ExpiresAt)!.Value, t.MaxUses, t.Consumed, UserMapping.Utc(t.RevokedAt), t.CreatedBy, UserMapping.Utc(t.CreatedAt)!.Value);

    public static JoinConsumption ToApi(this JoinConsumptionRecord c) =>
        new(c.Id, c.JoinTokenId, c.NodeId, c.NodeName, UserMapping.Utc(c.ConsumedAt)!.Value, c.SourceIp);
}
