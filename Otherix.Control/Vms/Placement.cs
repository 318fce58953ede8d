using Otherix.Api.Errors;
using Otherix.Control.Http;
using Otherix.Control.Store;

namespace Otherix.Control.Vms;

/// <summary>
/// Basic placement: ready, uncordoned nodes of the right architecture that host the pool, with room
/// for the VM's CPUs and memory after the VMs already placed there (from the last heartbeat's
/// totals); the least allocated wins, ties by lower-case name.
/// </summary>
public static class Placement
{
    /// <summary>
    /// The VMs placed on <paramref name="node"/> after <paramref name="reportedAt"/> (all of them when it
    /// is null): what a heartbeat or pool report taken then cannot include yet (the <c>*_effective</c> figures).
    /// </summary>
    public static IEnumerable<VmRecord> PlacedSince(IStateStore store, string node, DateTime? reportedAt)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Vms.OnNode(node).Where(v => reportedAt is null || v.CreatedAt > reportedAt);
    }

    /// <summary>The node for a VM, or a 409 explaining why none fits.</summary>
    public static string Choose(IStateStore store, string pool, string arch, int vcpus, int memoryMib, string? nodeHint)
    {
        ArgumentNullException.ThrowIfNull(store);
        var instances = store.Pools.FindByName(pool);
        if (instances.Count == 0)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, ErrorCodes.PoolNotFound, $"no pool named {pool}");
        }

        var hosts = instances.Select(p => p.NodeName).ToHashSet(StringComparer.Ordinal);
        if (nodeHint is not null && !hosts.Contains(nodeHint))
        {
            throw new ApiException(StatusCodes.Status409Conflict, ErrorCodes.PoolNotOnNode, $"pool {pool} has no instance on node {nodeHint}",
                new Dictionary<string, object?> { ["pool"] = pool, ["node"] = nodeHint, ["pool_nodes"] = hosts.Order(StringComparer.Ordinal).ToList() });
        }

        var utilization = new List<Dictionary<string, object?>>();
        var fits = new List<(string Name, double Score)>();
        foreach (var name in hosts.Where(h => nodeHint is null || h == nodeHint).Order(StringComparer.Ordinal))
        {
            var node = store.Nodes.FindByName(name);
            var placed = store.Vms.OnNode(name);
            var usedCpu = placed.Sum(v => v.Vcpus);
            var usedMemory = placed.Sum(v => (long)v.MemoryMib);
            var row = new Dictionary<string, object?>
            {
                ["node"] = name,
                ["status"] = node is null ? "gone" : node.CordonedAt is not null ? "cordoned" : node.Status.ToString().ToLowerInvariant(),
                ["architecture"] = node?.Architecture,
                ["cpu_cores_total"] = node?.Facts.CpuCoresTotal, ["cpu_cores_used"] = usedCpu,
                ["memory_total_mib"] = node?.Facts.MemoryTotalMib, ["memory_used_mib"] = usedMemory,
            };
            utilization.Add(row);
            if (node is not { Status: NodeStatus.Ready, CordonedAt: null } || node.Architecture != arch)
            {
                continue;
            }

            if (usedCpu + vcpus > node.Facts.CpuCoresTotal || usedMemory + memoryMib > node.Facts.MemoryTotalMib)
            {
                continue;
            }

            // LeastAllocated: the mean share of CPU and memory left after placing this VM; higher is better.
            var score = ((1 - ((usedCpu + vcpus) / (double)node.Facts.CpuCoresTotal)) + (1 - ((usedMemory + memoryMib) / (double)node.Facts.MemoryTotalMib))) / 2;
            fits.Add((name, score));
        }

        if (fits.Count == 0)
        {
            throw new ApiException(StatusCodes.Status409Conflict, ErrorCodes.NoEligibleNodes,
                $"no node can take this VM (pool {pool}, {arch}, {vcpus} vCPU, {memoryMib} MiB): see details.node_utilization",
                new Dictionary<string, object?> { ["reason"] = "insufficient_resources", ["node_utilization"] = utilization });
        }

        return fits.OrderByDescending(f => f.Score).ThenBy(f => f.Name.ToLowerInvariant(), StringComparer.Ordinal).First().Name;
    }
}
