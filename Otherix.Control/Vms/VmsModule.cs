using Carter;
using Otherix.Api.Common;
using Otherix.Api.Errors;
using Otherix.Api.Vms;
using Otherix.Control.Agents;
using Otherix.Control.Auth;
using Otherix.Control.Http;
using Otherix.Control.Pools;
using Otherix.Control.Store;
using Otherix.Control.Tasks;
using Otherix.Control.Users;

namespace Otherix.Control.Vms;

/// <summary>
/// <c>/v1/vms</c>, addressed by name: create (placed on a node, made by its agent in a <c>vm.create</c>
/// task), read, delete, lifecycle. Developers see and act on their own VMs only; others' answer 404.
/// </summary>
public sealed class VmsModule : ICarterModule
{
    private static readonly string[] AsyncActions = ["start", "stop", "poweroff", "reboot"];

    // Placement reads what is placed and then places: one create at a time, so two cannot take the same room.
    private static readonly SemaphoreSlim PlacementGate = new(1, 1);
    private static readonly string[] SyncActions = ["pause", "resume", "reset"];

    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var vms = app.MapGroup("/v1/vms").WithTags("vms");
        vms.MapPost("/", CreateAsync).RequirePermission(Permission.VmCreate).Accepts<CreateVmRequest>("application/json")
            .Produces<VmTaskAccepted>(StatusCodes.Status202Accepted).WithSummary("Create a VM: placed now, built by its node's agent in a vm.create task.");
        vms.MapGet("/", List).RequirePermission(Permission.VmRead).Produces<ListResponse<Vm>>().WithSummary("List VMs (filters: pool, node, status).");
        vms.MapGet("/{name}", (string name, HttpContext context, IStateStore store) => Results.Ok(View(store, Find(context, store, name, Permission.VmRead))))
            .RequirePermission(Permission.VmRead).Produces<Vm>().WithSummary("One VM by name.");
        vms.MapDelete("/{name}", Delete).RequirePermission(Permission.VmDelete).Produces<VmTaskAccepted>(StatusCodes.Status202Accepted)
            .WithSummary("Delete a VM and its disks (a vm.delete task).");
        foreach (var action in AsyncActions)
        {
            vms.MapPost($"/{{name}}/{action}", (string name, HttpContext context, IStateStore store, TaskSubmitter tasks) => Lifecycle(name, action, context, store, tasks))
                .RequirePermission(Permission.VmLifecycle).Produces<VmTaskAccepted>(StatusCodes.Status202Accepted).WithSummary($"{action} a VM (a vm.{action} task).");
        }

        foreach (var action in SyncActions)
        {
            vms.MapPost($"/{{name}}/{action}", (string name, HttpContext context, IStateStore store, TimeProvider time) => ActNowAsync(name, action, context, store, time))
                .RequirePermission(Permission.VmLifecycle).Produces<Vm>().WithSummary($"{action} a VM (answers when done).");
        }
    }

    /// <summary>The API view; a VM on an unreachable node says so instead of its last known phase.</summary>
    internal static Vm View(IStateStore store, VmRecord v)
    {
        var status = new VmStatusView(v.Phase, v.Reason, v.Message);
        if (store.Nodes.FindByName(v.Node) is { Status: NodeStatus.Unreachable } node && v.Phase is not ("pending" or "error"))
        {
            status = new VmStatusView("unknown", "node_unreachable", $"node {node.Name} has not heartbeated since {node.LastHeartbeatAt:u}; last known phase {v.Phase}");
        }

        return new Vm(
            v.Id, v.Name, v.OwnerId, v.ImageUrl, v.ImageFormat, v.ImageSha256, v.Pool, v.Node, v.Architecture, v.Vcpus, v.MemoryMib, v.DiskGib, status, v.DesiredPhase, v.LastTaskId,
            UserMapping.Utc(v.CreatedAt)!.Value, UserMapping.Utc(v.UpdatedAt)!.Value);
    }

    internal static VmRecord Find(HttpContext context, IStateStore store, string name, Permission permission)
    {
        if (Names.CheckResourceName(name) is { } problem)
        {
            throw ApiException.InvalidFields(new Dictionary<string, string> { ["name"] = problem });
        }

        var vm = store.Vms.FindByName(name);
        if (vm is null || !context.Caller().MayAccess(permission, vm.OwnerId))
        {
            throw new ApiException(StatusCodes.Status404NotFound, ErrorCodes.VmNotFound, $"VM {name} not found");
        }

        return vm;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IStateStore store, TaskSubmitter tasks, TimeProvider time)
    {
        var request = await RequestBody.ReadAsync<CreateVmRequest>(context.Request);
        var memory = request.MemoryMib ?? request.MemoryMb ?? 2048;
        UserRules.Require(
            ("name", Names.CheckResourceName(request.Name)),
            ("image_url", Uri.TryCreate(request.ImageUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? null : "must be an http:// or https:// URL"),
            ("image_sha256", request.ImageSha256 is null || (request.ImageSha256.Length == 64 && request.ImageSha256.All(Uri.IsHexDigit)) ? null : "must be 64 hex digits"),
            ("arch", request.Arch is "amd64" or "arm64" ? null : "must be amd64 or arm64"),
            ("vcpus", request.Vcpus is null or (>= 1 and <= 64) ? null : "must be between 1 and 64"),
            ("memory_mb", memory is >= 64 and <= 1_048_576 ? null : "must be between 64 and 1048576 MiB"),
            ("memory_mib", request.MemoryMb is not null && request.MemoryMib is not null && request.MemoryMb != request.MemoryMib ? "give memory_mb or memory_mib, not both" : null),
            ("network", request.Network is null ? null : "networks are not available yet; leave it out (VMs get the default libvirt network of the node)"),
            ("disk_gib", request.DiskGib is null or (>= 1 and <= 65536) ? null : "must be between 1 and 65536"),
            ("pool", request.Pool is null ? null : Names.CheckResourceName(request.Pool)),
            ("node", request.Node is null ? null : Names.CheckResourceName(request.Node)),
            ("user_data", request.UserData is null ? null : request.UserData.Length > 64 * 1024 ? "must be at most 64 KiB" : Names.IsClean(request.UserData.Replace("\n", "", StringComparison.Ordinal).Replace("\t", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal)) ? null : "must be text"));
        if (store.Nodes.List(request.Arch, null, null, 1).Items.Count == 0)
        {
            throw ApiException.InvalidFields(new Dictionary<string, string> { ["arch"] = $"no node in the cluster is {request.Arch}" });
        }

        if (store.Vms.FindByName(request.Name!) is not null)
        {
            throw new ApiException(StatusCodes.Status409Conflict, ErrorCodes.VmNameInUse, $"a VM named {request.Name} exists");
        }

        var pool = request.Pool ?? store.Settings.Find(PoolsModule.DefaultPoolSetting)
            ?? throw new ApiException(StatusCodes.Status400BadRequest, ErrorCodes.DefaultPoolNotSet, "no pool given and no cluster default pool: pass pool, or set PUT /v1/cluster/default-pool");
        var vcpus = request.Vcpus ?? 2;
        await PlacementGate.WaitAsync(context.RequestAborted);
        try
        {
            return Place(context, store, tasks, time, request, pool, vcpus, memory);
        }
        finally
        {
            PlacementGate.Release();
        }
    }

    private static IResult Place(HttpContext context, IStateStore store, TaskSubmitter tasks, TimeProvider time, CreateVmRequest request, string pool, int vcpus, int memory)
    {
        var node = Placement.Choose(store, pool, request.Arch!, vcpus, memory, request.Node);
        var now = time.GetUtcNow();
        var caller = context.Caller();
        var vm = new VmRecord
        {
            Id = Ids.New(now), Name = request.Name!, OwnerId = caller.UserId, ImageUrl = request.ImageUrl!, ImageSha256 = request.ImageSha256?.ToLowerInvariant(),
            Architecture = request.Arch!, Vcpus = vcpus, MemoryMib = memory, DiskGib = request.DiskGib, UserData = request.UserData, Pool = pool, Node = node,
            CreatedAt = now.UtcDateTime, UpdatedAt = now.UtcDateTime,
        };
        var task = tasks.Create("vm.create", "vm", vm.Id.ToString(), null, caller.UserId);
        vm.LastTaskId = task.Id;
        try
        {
            store.Vms.InsertWithTask(vm, task);
        }
        catch (DuplicateKeyException)
        {
            throw new ApiException(StatusCodes.Status409Conflict, ErrorCodes.VmNameInUse, $"a VM named {request.Name} exists");
        }

        tasks.Wake();
        return Results.Accepted($"/v1/tasks/{task.Id}", Accepted(store, task, vm));
    }

    private static VmTaskAccepted Accepted(IStateStore store, TaskRecord task, VmRecord vm) =>
        new(task.Id, "pending", new TaskLinks($"/v1/tasks/{task.Id}"), View(store, vm));

    private static IResult List(HttpContext context, IStateStore store)
    {
        var caller = context.Caller();
        var paging = Paging.From(context.Request);
        var query = context.Request.Query;
        var filter = new VmFilter(query["pool"].FirstOrDefault(), query["node"].FirstOrDefault(), query["status"].FirstOrDefault(),
            caller.ScopeOf(Permission.VmRead) == Scope.Any ? null : caller.UserId);
        return Results.Ok(Paging.Response(store.Vms.List(filter, paging.After, paging.Limit), v => View(store, v)));
    }

    private static IResult Delete(string name, HttpContext context, IStateStore store, TaskSubmitter tasks, TimeProvider time)
    {
        var vm = Find(context, store, name, Permission.VmDelete);
        var task = tasks.Enqueue("vm.delete", "vm", vm.Id.ToString(), null, context.Caller().UserId);
        vm = store.Vms.Update(vm.Id, v =>
        {
            v.DesiredPhase = "deleted";
            v.Phase = "deleting";
            v.LastTaskId = task.Id;
            v.UpdatedAt = time.GetUtcNow().UtcDateTime;
        }) ?? vm;
        return Results.Accepted($"/v1/tasks/{task.Id}", Accepted(store, task, vm));
    }

    private static IResult Lifecycle(string name, string action, HttpContext context, IStateStore store, TaskSubmitter tasks)
    {
        var vm = Find(context, store, name, Permission.VmLifecycle);
        if (vm.Phase is "pending" or "creating" or "deleting" or "error")
        {
            throw new ApiException(StatusCodes.Status409Conflict, ErrorCodes.Conflict, $"VM {name} is {vm.Phase}; {action} is not possible now",
                new Dictionary<string, object?> { ["reason"] = "invalid_state", ["current_phase"] = vm.Phase });
        }

        var task = tasks.Enqueue($"vm.{action}", "vm", vm.Id.ToString(), null, context.Caller().UserId);
        vm = store.Vms.Update(vm.Id, v =>
        {
            v.LastTaskId = task.Id;
            v.DesiredPhase = action is "stop" or "poweroff" ? "stopped" : "running";
        }) ?? vm;
        return Results.Accepted($"/v1/tasks/{task.Id}", Accepted(store, task, vm));
    }

    private static async Task<IResult> ActNowAsync(string name, string action, HttpContext context, IStateStore store, TimeProvider time)
    {
        var vm = Find(context, store, name, Permission.VmLifecycle);
        var node = store.Nodes.FindByName(vm.Node);
        if (node is not { Status: NodeStatus.Ready } || context.RequestServices.GetService<AgentConnections>() is not { } agents)
        {
            throw new ApiException(StatusCodes.Status409Conflict, ErrorCodes.NodeNotReady, $"node {vm.Node} is not ready");
        }

        Api.Grpc.AgentTaskReply reply;
        try
        {
            reply = await agents.CallAsync(node.Name, node.AdvertisedEndpoint, (c, o) => c.VmActionAsync(
                new Api.Grpc.VmActionRequest { TaskId = $"sync-{Guid.NewGuid()}", VmId = vm.Id.ToString(), Action = action, WaitSeconds = 25 }, o), context.RequestAborted);
        }
        catch (AgentUnreachableException e)
        {
            throw new ApiException(StatusCodes.Status502BadGateway, ErrorCodes.AgentUnreachable, e.Message);
        }

        if (reply.State == "failed")
        {
            throw reply.ErrorCode == "invalid_state"
                ? new ApiException(StatusCodes.Status409Conflict, ErrorCodes.Conflict, reply.ErrorMessage, new Dictionary<string, object?> { ["reason"] = "invalid_state", ["current_phase"] = vm.Phase })
                : new ApiException(StatusCodes.Status502BadGateway, reply.ErrorCode, reply.ErrorMessage);
        }

        vm = store.Vms.Update(vm.Id, v =>
        {
            v.Phase = reply.Vm is { } observed ? VmTaskHandler.PhaseOf(observed.State) : v.Phase;
            v.UpdatedAt = time.GetUtcNow().UtcDateTime;
        }) ?? vm;
        return Results.Ok(View(store, vm));
    }
}
