using System.Text.Json;
using Otherix.Api.Errors;
using Otherix.Api.Grpc;
using Otherix.Api.Json;
using Otherix.Control.Agents;
using Otherix.Control.Store;
using Otherix.Control.Tasks;

namespace Otherix.Control.Pools;

/// <summary><c>storage_pool.scan</c>: asks the node's agent for fresh figures and images of one pool instance.</summary>
public sealed class PoolScanHandler(IStateStore store, TimeProvider time, IServiceProvider services) : ITaskHandler
{
    /// <summary>The task type.</summary>
    public const string TaskType = "storage_pool.scan";

    /// <inheritdoc />
    public string Type => TaskType;

    /// <inheritdoc />
    public async Task RunAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var pool = store.Pools.Find(Guid.Parse(context.Task.ResourceId!))
            ?? throw new TaskFailedException(ErrorCodes.NotFound, "the pool was deleted before it could be scanned");
        var node = store.Nodes.FindByName(pool.NodeName);
        if (node is not { Status: NodeStatus.Ready })
        {
            throw new TaskFailedException(ErrorCodes.NodeNotReady, $"node {pool.NodeName} is {(node is null ? "gone" : node.Status.ToString().ToLowerInvariant())}");
        }

        var agents = services.GetService<AgentConnections>() ?? throw new TaskFailedException(ErrorCodes.AgentUnreachable, "the agent listener is disabled (agent_server.enabled: false)");
        try
        {
            var report = await agents.CallAsync(node.Name, node.AdvertisedEndpoint, (c, o) => c.ScanPoolAsync(new ScanPoolRequest { Name = pool.Name }, o), cancellationToken);
            store.Pools.ApplyReports(node.Name, [ToRecord(report)], time.GetUtcNow().UtcDateTime);
        }
        catch (AgentUnreachableException e)
        {
            throw new TaskFailedException(ErrorCodes.AgentUnreachable, e.Message);
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.FailedPrecondition)
        {
            throw new TaskFailedException("pool_scan_failed", e.Status.Detail);
        }
    }

    /// <summary>The store's form of an agent's pool report.</summary>
    public static PoolReportRecord ToRecord(PoolReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new PoolReportRecord(
            report.Name, report.ReconciliationStatus is { Length: > 0 } s ? s : "ready", report.ReconciliationError is { Length: > 0 } e ? e : null,
            report.CapacityBytes, report.AvailableBytes,
            JsonSerializer.Serialize(report.Images.Select(i => new Api.Pools.PoolImage(i.Name, i.Sha256, i.SizeBytes)), ApiJson.Options));
    }
}
