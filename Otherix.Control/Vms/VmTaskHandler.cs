using Grpc.Core;
using Otherix.Api.Errors;
using Otherix.Api.Grpc;
using Otherix.Control.Agents;
using Otherix.Control.Store;
using Otherix.Control.Tasks;

namespace Otherix.Control.Vms;

/// <summary>
/// The VM tasks (<c>vm.create</c>, <c>vm.delete</c>, <c>vm.start</c>, <c>vm.stop</c>, <c>vm.poweroff</c>,
/// <c>vm.reboot</c>): sent to the node's agent under the task's id, so a resumed task joins the run the
/// agent already has (or repeats it harmlessly), then followed until it ends. The VM record gets the
/// outcome: its observed phase, or the error code and message.
/// </summary>
public sealed class VmTaskHandler(string type, IStateStore store, TimeProvider time, IServiceProvider services) : ITaskHandler
{
    /// <summary>Every VM task type.</summary>
    public static readonly IReadOnlyList<string> Types = ["vm.create", "vm.delete", "vm.start", "vm.stop", "vm.poweroff", "vm.reboot"];

    private const int WaitSeconds = 20;

    /// <inheritdoc />
    public string Type { get; } = type;

    /// <inheritdoc />
    public async Task RunAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var vm = store.Vms.Find(Guid.Parse(context.Task.ResourceId!));
        if (vm is null)
        {
            if (Type == "vm.delete")
            {
                return; // already gone: a resumed delete that had finished
            }

            throw new TaskFailedException(ErrorCodes.VmNotFound, "the VM no longer exists");
        }

        var node = store.Nodes.FindByName(vm.Node);
        if (node is not { Status: NodeStatus.Ready })
        {
            throw Fail(vm, ErrorCodes.NodeNotReady, $"node {vm.Node} is {(node is null ? "gone" : node.Status.ToString().ToLowerInvariant())}");
        }

        var agents = services.GetService<AgentConnections>() ?? throw Fail(vm, ErrorCodes.AgentUnreachable, "the agent listener is disabled");
        var taskId = context.Id.ToString();
        if (Type == "vm.create")
        {
            store.Vms.Update(vm.Id, v => v.Phase = "creating");
        }

        try
        {
            var reply = await SendAsync(agents, node, vm, taskId, cancellationToken);
            while (reply.State == "running")
            {
                context.ReportProgress(reply.Progress);
                reply = await agents.CallAsync(node.Name, node.AdvertisedEndpoint, (c, o) => c.GetTaskAsync(new GetTaskRequest { TaskId = taskId, WaitSeconds = WaitSeconds }, o), cancellationToken);
                if (reply.State == "unknown")
                {
                    reply = await SendAsync(agents, node, vm, taskId, cancellationToken); // the agent restarted: repeat the call (idempotent)
                }
            }

            if (reply.State == "failed")
            {
                throw Fail(vm, reply.ErrorCode, reply.ErrorMessage);
            }

            var now = time.GetUtcNow().UtcDateTime;
            if (Type == "vm.delete")
            {
                store.Vms.Delete(vm.Id);
                return;
            }

            store.Vms.Update(vm.Id, v =>
            {
                v.Phase = reply.Vm is { } observed ? PhaseOf(observed.State) : v.Phase;
                v.ImageFormat = reply.ImageFormat is { Length: > 0 } format ? format : v.ImageFormat;
                v.Reason = null;
                v.Message = null;
                v.UpdatedAt = now;
            });
        }
        catch (AgentUnreachableException e)
        {
            throw Fail(vm, ErrorCodes.AgentUnreachable, e.Message);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
        {
            throw Fail(vm, ErrorCodes.Internal, e.Status.Detail);
        }
    }

    /// <summary>The API phase for an agent-observed state.</summary>
    public static string PhaseOf(string agentState) => agentState switch
    {
        "missing" => "gone",
        "shuttingdown" => "stopping",
        var s => s,
    };

    private Task<AgentTaskReply> SendAsync(AgentConnections agents, NodeRecord node, VmRecord vm, string taskId, CancellationToken cancellationToken) =>
        agents.CallAsync(node.Name, node.AdvertisedEndpoint, (c, o) => Type switch
        {
            "vm.create" => c.CreateVmAsync(new CreateVmRequest
            {
                TaskId = taskId, VmId = vm.Id.ToString(), Name = vm.Name, Pool = vm.Pool, ImageUrl = vm.ImageUrl, ImageSha256 = vm.ImageSha256 ?? "",
                Vcpus = vm.Vcpus, MemoryMib = vm.MemoryMib, DiskGib = vm.DiskGib ?? 0, UserData = vm.UserData ?? "", Owner = vm.OwnerId.ToString(), WaitSeconds = WaitSeconds, Arch = vm.Architecture,
            }, o),
            "vm.delete" => c.DeleteVmAsync(new DeleteVmRequest { TaskId = taskId, VmId = vm.Id.ToString(), Force = true, WaitSeconds = WaitSeconds }, o),
            _ => c.VmActionAsync(new VmActionRequest { TaskId = taskId, VmId = vm.Id.ToString(), Action = Type["vm.".Length..], WaitSeconds = WaitSeconds }, o),
        }, cancellationToken);

    private TaskFailedException Fail(VmRecord vm, string code, string message)
    {
        store.Vms.Update(vm.Id, v =>
        {
            if (Type == "vm.create")
            {
                v.Phase = "error";
            }

            v.Reason = code;
            v.Message = message;
            v.UpdatedAt = time.GetUtcNow().UtcDateTime;
        });
        return new TaskFailedException(code, message);
    }
}
