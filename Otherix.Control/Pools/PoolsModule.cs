using System.Text.Json;
using Carter;
using Otherix.Api.Common;
using Otherix.Api.Errors;
using Otherix.Api.Json;
using Otherix.Api.Pools;
using Otherix.Control.Auth;
using Otherix.Control.Configuration;
using Otherix.Control.Http;
using Otherix.Control.Nodes;
using Otherix.Control.Store;
using Otherix.Control.Tasks;
using Otherix.Control.Users;

namespace Otherix.Control.Pools;

/// <summary>
/// <c>/v1/storage-pools</c>: pool instances, one per (name, node). The control plane records them; the
/// node's agent makes them (told through the heartbeat) and reports back their state and figures.
/// </summary>
public sealed class PoolsModule : ICarterModule
{
    /// <summary>The setting holding the cluster default pool's name.</summary>
    public const string DefaultPoolSetting = "default_pool";

    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var pools = app.MapGroup("/v1/storage-pools").WithTags("storage-pools");
        pools.MapGet("/", List).RequirePermission(Permission.StoragePoolRead).Produces<ListResponse<StoragePool>>()
            .WithSummary("List pool instances, one row per (name, node) (filter: node).");
        pools.MapGet("/{id}", Get).RequirePermission(Permission.StoragePoolRead).Produces<PoolConceptView>()
            .WithSummary("A pool by name (all its instances) or one instance by UUID (with its cached images).");
        pools.MapPost("/", CreateAsync).RequirePermission(Permission.StoragePoolManage).Accepts<CreatePoolRequest>("application/json")
            .Produces<StoragePool>(StatusCodes.Status201Created).WithSummary("Register a pool on a node; its agent creates it.");
        pools.MapDelete("/{id}", DeleteAsync).RequirePermission(Permission.StoragePoolManage).Produces(StatusCodes.Status204NoContent)
            .WithSummary("Remove a pool instance (by UUID, or by name with ?node=).");
        pools.MapPost("/{id}/scan", Scan).RequirePermission(Permission.StoragePoolScan).Produces<TaskAccepted>(StatusCodes.Status202Accepted)
            .WithSummary("Refresh an instance's figures and image list now (a storage_pool.scan task).");

        var cluster = app.MapGroup("/v1/cluster/default-pool").WithTags("cluster");
        cluster.MapGet("/", (IStateStore store) => store.Settings.Find(DefaultPoolSetting) is { } name
                ? Results.Ok(new DefaultPool { Name = name })
                : throw ApiException.NotFound("cluster default pool (unset)"))
            .RequirePermission(Permission.ClusterRead).Produces<DefaultPool>().WithSummary("The pool VMs go to when they name none.");
        cluster.MapPut("/", PutDefaultAsync).RequirePermission(Permission.ClusterManage).Accepts<DefaultPool>("application/json").Produces<DefaultPool>()
            .WithSummary("Set the cluster default pool (it must exist).");
        cluster.MapDelete("/", (IStateStore store) =>
            {
                store.Settings.Put(DefaultPoolSetting, null);
                return Results.NoContent();
            })
            .RequirePermission(Permission.ClusterManage).Produces(StatusCodes.Status204NoContent).WithSummary("Unset the cluster default pool (idempotent).");
    }

    /// <summary>API view of an instance.</summary>
    internal static StoragePool ToApi(IStateStore store, PoolRecord p, string? defaultPool, bool withImages = true) => new(
        p.Id, p.Name, p.NodeName, p.Type, p.Path, p.Status, p.Error, p.CapacityBytes, p.AvailableBytes,
        p.AvailableBytes is { } available ? available - UnreportedDiskBytes(store, p) : null, UserMapping.Utc(p.ReportedAt),
        p.Name == defaultPool,
        withImages ? JsonSerializer.Deserialize<List<PoolImage>>(p.ImagesJson, ApiJson.Options) ?? [] : [],
        UserMapping.Utc(p.CreatedAt)!.Value, UserMapping.Utc(p.UpdatedAt)!.Value);

    /// <summary>The declared disk sizes of the VMs placed on <paramref name="pool"/> after its last report.</summary>
    private static long UnreportedDiskBytes(IStateStore store, PoolRecord pool) =>
        Vms.Placement.PlacedSince(store, pool.NodeName, pool.ReportedAt).Where(v => v.Pool == pool.Name).Sum(v => (long)(v.DiskGib ?? 0) << 30);

    private static IResult List(HttpContext context, IStateStore store)
    {
        var paging = Paging.From(context.Request);
        var node = context.Request.Query["node"].FirstOrDefault();
        var defaultPool = store.Settings.Find(DefaultPoolSetting);
        return Results.Ok(Paging.Response(store.Pools.List(node, paging.After, paging.Limit), p => ToApi(store, p, defaultPool)));
    }

    private static IResult Get(string id, IStateStore store)
    {
        var defaultPool = store.Settings.Find(DefaultPoolSetting);
        if (Guid.TryParse(id, out var uuid))
        {
            return Results.Ok(ToApi(store, store.Pools.Find(uuid) ?? throw ApiException.NotFound($"pool {id}"), defaultPool));
        }

        var instances = store.Pools.FindByName(id);
        return instances.Count == 0
            ? throw ApiException.NotFound($"pool {id}")
            : Results.Ok(new PoolConceptView(id, instances[0].Type, id == defaultPool, instances.Select(p => ToApi(store, p, defaultPool)).ToList()));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IStateStore store, ApiConfig config, TimeProvider time)
    {
        var request = await RequestBody.ReadAsync<CreatePoolRequest>(context.Request);
        UserRules.Require(
            ("name", Names.CheckResourceName(request.Name)),
            ("node", Names.CheckResourceName(request.Node)),
            ("type", request.Type is null or "local_dir" ? null : "must be local_dir"),
            ("path", request.Path is null or "" ? "is required" : null));
        var path = request.Path!;
        if (!Path.IsPathFullyQualified(path) || path.Split('/').Any(part => part is ".." or ".") || Path.GetFullPath(path).TrimEnd('/') != path.TrimEnd('/')
            || !config.StoragePools.AllowedPathPrefixes.Any(prefix => (path.TrimEnd('/') + "/").StartsWith(prefix.TrimEnd('/') + "/", StringComparison.Ordinal) && path.TrimEnd('/') != prefix.TrimEnd('/')))
        {
            throw new ApiException(
                StatusCodes.Status400BadRequest, ErrorCodes.PathNotAllowed,
                $"path {path} must be absolute, normalized and below one of {string.Join(", ", config.StoragePools.AllowedPathPrefixes)}",
                new Dictionary<string, object?> { ["allowed_path_prefixes"] = config.StoragePools.AllowedPathPrefixes });
        }

        var node = NodesModule.Find(store, request.Node!);
        var now = time.GetUtcNow();
        var pool = new PoolRecord
        {
            Id = Ids.New(now), Key = PoolRecord.KeyOf(request.Name!, node.Name), Name = request.Name!, NodeName = node.Name, Path = path.TrimEnd('/'),
            CreatedAt = now.UtcDateTime, UpdatedAt = now.UtcDateTime,
        };
        try
        {
            store.Pools.Insert(pool);
        }
        catch (DuplicateKeyException)
        {
            throw ApiException.Conflict("duplicate", $"pool {pool.Name} already exists on node {node.Name}");
        }

        return Results.Created($"/v1/storage-pools/{pool.Id}", ToApi(store, pool, store.Settings.Find(DefaultPoolSetting)));
    }

    private static PoolRecord FindInstance(IStateStore store, string id, string? node)
    {
        if (Guid.TryParse(id, out var uuid))
        {
            return store.Pools.Find(uuid) ?? throw ApiException.NotFound($"pool {id}");
        }

        var instances = store.Pools.FindByName(id).Where(p => node is null || p.NodeName == node).ToList();
        return instances.Count switch
        {
            0 => throw ApiException.NotFound(node is null ? $"pool {id}" : $"pool {id} on node {node}"),
            1 => instances[0],
            _ => throw new ApiException(
                StatusCodes.Status409Conflict, ErrorCodes.PoolNameAmbiguous, $"pool {id} exists on {instances.Count} nodes; name one with ?node= or use its id",
                new Dictionary<string, object?> { ["nodes"] = instances.Select(p => p.NodeName).ToList() }),
        };
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext context, IStateStore store)
    {
        var pool = FindInstance(store, id, context.Request.Query["node"].FirstOrDefault());
        var disks = store.Vms.OnNode(pool.NodeName).Count(v => v.Pool == pool.Name);
        if (disks > 0)
        {
            throw new ApiException(StatusCodes.Status409Conflict, ErrorCodes.Conflict, $"pool {pool.Name} on node {pool.NodeName} holds {disks} VM disk(s); delete those VMs first",
                new Dictionary<string, object?> { ["reason"] = "pool_in_use", ["blocking_resources"] = new Dictionary<string, int> { ["vm_disks"] = disks } });
        }

        if (store.Nodes.FindByName(pool.NodeName) is { } node && context.RequestServices.GetService<Agents.AgentConnections>() is { } agents)
        {
            try
            {
                await agents.CallAsync(node.Name, node.AdvertisedEndpoint, (c, o) => c.DeletePoolAsync(new Api.Grpc.DeletePoolRequest { Name = pool.Name }, o), context.RequestAborted);
            }
            catch (Agents.AgentUnreachableException e)
            {
                throw new ApiException(StatusCodes.Status502BadGateway, ErrorCodes.AgentUnreachable, e.Message);
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.FailedPrecondition)
            {
                throw ApiException.Conflict("pool_in_use", e.Status.Detail);
            }
        }

        store.Pools.Delete(pool.Id);
        return Results.NoContent();
    }

    private static IResult Scan(string id, HttpContext context, IStateStore store, TaskSubmitter tasks)
    {
        var pool = FindInstance(store, id, context.Request.Query["node"].FirstOrDefault());
        var task = tasks.Enqueue(PoolScanHandler.TaskType, "storage_pool", pool.Id.ToString(), null, context.Caller().UserId);
        return Results.Accepted($"/v1/tasks/{task.Id}", new TaskAccepted(task.Id, "pending", new TaskLinks($"/v1/tasks/{task.Id}")));
    }

    private static async Task<IResult> PutDefaultAsync(HttpContext context, IStateStore store)
    {
        var request = await RequestBody.ReadAsync<DefaultPool>(context.Request);
        if (request.Name is null || store.Pools.FindByName(request.Name).Count == 0)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, ErrorCodes.PoolNotFound, $"no pool named {request.Name ?? "(missing name)"}; create it first");
        }

        store.Settings.Put(DefaultPoolSetting, request.Name);
        return Results.Ok(request);
    }
}
