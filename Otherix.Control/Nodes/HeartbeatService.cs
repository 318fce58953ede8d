using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Otherix.Api.Grpc;
using Otherix.Api.Json;
using Otherix.Api.Security;
using Otherix.Control.Configuration;
using Otherix.Control.Pki;
using Otherix.Control.Store;

namespace Otherix.Control.Nodes;

/// <summary>
/// The agents' heartbeat (gRPC, agent listener). The caller is the node whose current certificate it
/// presents; a heartbeat naming another node, or from a replaced or deleted node's certificate, is refused.
/// </summary>
public sealed partial class HeartbeatService(
    IStateStore store, ClusterCa ca, ApiConfig config, TimeProvider time, Tasks.TaskSubmitter tasks, ILogger<HeartbeatService> log)
    : Api.Grpc.ControlPlane.ControlPlaneBase
{
    /// <inheritdoc />
    public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var certificate = context.GetHttpContext().Connection.ClientCertificate
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "a node certificate is required"));
        if (ClusterTrust.CheckChain(certificate, ca.Certificate, ClusterTrust.ClientAuth) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"certificate not trusted: {problem}"));
        }

        var node = store.Nodes.FindByFingerprint(ClusterTrust.Fingerprint(certificate))
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "this certificate belongs to no current node (deleted, or replaced by a re-bootstrap)"));
        if (!string.Equals(node.Name, request.NodeName, StringComparison.Ordinal))
        {
            LogImpersonation(log, node.Name, request.NodeName);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"this certificate is node {node.Name}'s; it cannot heartbeat for {request.NodeName}"));
        }

        var now = time.GetUtcNow();
        var wasReady = node.Status == NodeStatus.Ready;
        var cameBack = node.Status == NodeStatus.Unreachable;
        node.Status = NodeStatus.Ready;
        node.LastHeartbeatAt = now.UtcDateTime;
        node.UpdatedAt = now.UtcDateTime;
        node.AgentVersion = request.AgentVersion;
        var c = request.Capabilities ?? new Capabilities();
        var r = request.Resources ?? new Resources();
        node.Facts = new NodeFacts
        {
            CpuCoresTotal = c.CpuCoresTotal,
            MemoryTotalMib = c.MemoryTotalMib,
            CpuModel = c.CpuModel,
            KernelVersion = c.KernelVersion,
            LibvirtVersion = c.LibvirtVersion,
            QemuVersion = c.QemuVersion,
            Acceleration = c.Acceleration,
            CpuCoresAvailable = r.CpuCoresAvailable,
            MemoryAvailableMib = r.MemoryAvailableMib,
            SystemDiskTotalBytes = r.SystemDiskTotalBytes,
            SystemDiskAvailableBytes = r.SystemDiskAvailableBytes,
            MigrationHost = request.Migration?.Host ?? "",
            MigrationPortStart = request.Migration?.PortRangeStart ?? 0,
            MigrationPortEnd = request.Migration?.PortRangeEnd ?? 0,
            PoolsJson = JsonSerializer.Serialize(request.Pools.Select(p => new { p.Name, p.ReconciliationStatus, p.ReconciliationError, p.CapacityBytes, p.AvailableBytes, Images = p.Images.Count }), ApiJson.Options),
            VmsJson = JsonSerializer.Serialize(request.Vms.Select(v => new { v.VmId, v.Name, v.State, v.Reason }), ApiJson.Options),
        };
        store.Nodes.Update(node);
        if (!wasReady)
        {
            LogReady(log, node.Name);
        }

        var defaultPool = config.StoragePools.DefaultPoolName;
        if (defaultPool.Length > 0 && store.Pools.EnsureOn(new PoolRecord
        {
            Id = Ids.New(now), Key = PoolRecord.KeyOf(defaultPool, node.Name), Name = defaultPool, NodeName = node.Name,
            Path = Path.Combine(config.StoragePools.DefaultPoolDir, defaultPool), CreatedAt = now.UtcDateTime, UpdatedAt = now.UtcDateTime,
        }))
        {
            LogDefaultPool(log, defaultPool, node.Name);
        }

        store.Pools.ApplyReports(node.Name, request.Pools.Select(Pools.PoolScanHandler.ToRecord).ToList(), now.UtcDateTime);
        ProjectVms(node.Name, request, now.UtcDateTime, cameBack);
        var response = new HeartbeatResponse
        {
            ReceivedAt = Timestamp.FromDateTimeOffset(now),
            HeartbeatIntervalSeconds = (int)config.Workers.Heartbeat.Interval.TotalSeconds,
        };
        response.DeclaredPools.AddRange(store.Pools.List(node.Name, null, Http.Paging.MaxLimit).Items.Select(p => new DeclaredPool { Name = p.Name, Type = p.Type, Path = p.Path }));
        return Task.FromResult(response);
    }

    // Observed states replace stale ones, except while a task is changing the VM (it records the outcome itself).
    private void ProjectVms(string node, HeartbeatRequest request, DateTime now, bool cameBack)
    {
        var reported = request.Vms.Where(v => Guid.TryParse(v.VmId, out _)).ToDictionary(v => Guid.Parse(v.VmId));
        var observedAt = request.ObservedAt?.ToDateTime() ?? now;
        foreach (var vm in store.Vms.OnNode(node))
        {
            // A snapshot taken before the last task result is older news than what the task recorded.
            if (vm.Phase is "pending" or "creating" or "deleting" || vm.UpdatedAt > observedAt || !reported.TryGetValue(vm.Id, out var observed))
            {
                continue;
            }

            var phase = Vms.VmTaskHandler.PhaseOf(observed.State);
            if (phase != vm.Phase)
            {
                store.Vms.Update(vm.Id, v =>
                {
                    v.Phase = phase;
                    v.Reason = observed.Reason.Length > 0 ? observed.Reason : null;
                    v.UpdatedAt = now;
                });
            }

            // A node back from being unreachable (a host reboot, a network cut) converges on what users asked for.
            var action = (cameBack, vm.DesiredPhase, phase) switch
            {
                (true, "running", "stopped" or "crashed") => "start",
                (true, "stopped", "running") => "stop",
                _ => null,
            };
            if (action is not null)
            {
                var task = tasks.Enqueue($"vm.{action}", "vm", vm.Id.ToString(), null, null);
                store.Vms.Update(vm.Id, v => v.LastTaskId = task.Id);
                LogConverging(log, vm.Name, node, vm.DesiredPhase, phase, task.Id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {Vm} on {Node}, back after being unreachable, is {Observed} but should be {Desired}: task {TaskId}")]
    private static partial void LogConverging(ILogger logger, string vm, string node, string desired, string observed, Guid taskId);

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} is ready")]
    private static partial void LogReady(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool} declared on node {Node} (the default pool)")]
    private static partial void LogDefaultPool(ILogger logger, string pool, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "node {Node}'s certificate was used to heartbeat for {Claimed}: refused")]
    private static partial void LogImpersonation(ILogger logger, string node, string claimed);
}
