using Carter;
using Otherix.Api.Common;
using Otherix.Api.Nodes;
using Otherix.Control.Auth;
using Otherix.Control.Http;
using Otherix.Control.Store;

namespace Otherix.Control.Nodes;

/// <summary>
/// <c>/v1/nodes</c>: list and inspect nodes (admins and operators see hardware, others a summary),
/// cordon/uncordon, delete.
/// </summary>
public sealed class NodesModule : ICarterModule
{
    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var nodes = app.MapGroup("/v1/nodes").WithTags("nodes");
        nodes.MapGet("/", List).RequirePermission(Permission.NodeRead).Produces<ListResponse<Node>>()
            .WithSummary("List nodes (filters: architecture, status). Developers and viewers get the summary view.");
        nodes.MapGet("/{name}", (string name, HttpContext context, IStateStore store) => View(context, store, Find(store, name)))
            .RequirePermission(Permission.NodeRead).Produces<Node>().WithSummary("One node by name.");
        nodes.MapPost("/{name}/cordon", (string name, IStateStore store, TimeProvider time) => SetCordon(store, name, true, time))
            .RequirePermission(Permission.NodeMaintenance).Produces<Node>().WithSummary("Stop placing new VMs on a node (idempotent).");
        nodes.MapPost("/{name}/uncordon", (string name, IStateStore store, TimeProvider time) => SetCordon(store, name, false, time))
            .RequirePermission(Permission.NodeMaintenance).Produces<Node>().WithSummary("Place VMs on a node again (idempotent).");
        nodes.MapDelete("/{name}", Delete).RequirePermission(Permission.NodeManage).Produces(StatusCodes.Status204NoContent)
            .WithSummary("Remove a node (refused while VMs are placed on it unless ?force=true); its certificate stops working at once.");
    }

    /// <summary>The node named <paramref name="name"/>, else 400 (bad name) or 404.</summary>
    internal static NodeRecord Find(IStateStore store, string name)
    {
        if (Names.CheckResourceName(name) is { } problem)
        {
            throw ApiException.InvalidFields(new Dictionary<string, string> { ["name"] = problem });
        }

        return store.Nodes.FindByName(name) ?? throw ApiException.NotFound($"node {name}");
    }

    private static IResult View(HttpContext context, IStateStore store, NodeRecord node) =>
        context.Caller().Role is Api.Auth.Role.Admin or Api.Auth.Role.Operator ? Results.Ok(node.ToApi(store)) : Results.Ok(node.ToSummary());

    private static IResult List(HttpContext context, IStateStore store)
    {
        var paging = Paging.From(context.Request);
        var query = context.Request.Query;
        NodeStatus? status = null;
        if (query["status"].FirstOrDefault() is { } statusText)
        {
            status = Enum.GetValues<NodeStatus>().Cast<NodeStatus?>().FirstOrDefault(s => NodeMapping.StatusName(s!.Value) == statusText)
                ?? throw ApiException.Validation("status must be one of pending, ready, unreachable");
        }

        var architecture = query["architecture"].FirstOrDefault();
        if (architecture is not (null or "amd64" or "arm64"))
        {
            throw ApiException.Validation("architecture must be amd64 or arm64");
        }

        var page = store.Nodes.List(architecture, status, paging.After, paging.Limit);
        return context.Caller().Role is Api.Auth.Role.Admin or Api.Auth.Role.Operator
            ? Results.Ok(Paging.Response(page, n => n.ToApi(store)))
            : Results.Ok(Paging.Response(page, NodeMapping.ToSummary));
    }

    private static IResult SetCordon(IStateStore store, string name, bool cordon, TimeProvider time)
    {
        var node = Find(store, name);
        if ((node.CordonedAt is not null) != cordon)
        {
            node.CordonedAt = cordon ? time.GetUtcNow().UtcDateTime : null;
            node.UpdatedAt = time.GetUtcNow().UtcDateTime;
            store.Nodes.Update(node);
        }

        return Results.Ok(Find(store, name).ToApi(store)); // as stored (the store keeps milliseconds)
    }

    private static IResult Delete(string name, HttpContext context, IStateStore store)
    {
        var node = Find(store, name);
        var vms = store.Vms.OnNode(node.Name).Count;
        if (vms > 0 && context.Request.Query["force"].FirstOrDefault() != "true")
        {
            throw new ApiException(StatusCodes.Status409Conflict, Api.Errors.ErrorCodes.Conflict, $"node {name} still has {vms} VM(s); delete them first, or pass ?force=true to forget them with the node",
                new Dictionary<string, object?> { ["reason"] = "node_in_use", ["blocking_resources"] = new Dictionary<string, int> { ["vms"] = vms }, ["force_available"] = true });
        }

        foreach (var vm in store.Vms.OnNode(node.Name))
        {
            store.Vms.Delete(vm.Id);
        }

        return store.Nodes.Delete(node.Id) ? Results.NoContent() : throw ApiException.NotFound($"node {name}");
    }
}
