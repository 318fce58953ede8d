namespace Otherix.Api.Pools;

/// <summary>
/// One pool instance (a pool name on one node). <see cref="AvailableBytesEffective"/> is the last
/// report's <see cref="AvailableBytes"/> minus the declared disk size (<c>disk_gib</c>) of the VMs
/// placed on this instance since that report, which it has not seen yet; null until a first report.
/// </summary>
public sealed record StoragePool(
    Guid Id, string Name, string Node, string Type, string Path, string ReconciliationStatus, string? ReconciliationError,
    long? CapacityBytes, long? AvailableBytes, long? AvailableBytesEffective, DateTimeOffset? ReportedAt, bool IsClusterDefault, IReadOnlyList<PoolImage> Images,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>An image in a pool's cache, as the agent reported it.</summary>
public sealed record PoolImage(string Name, string Sha256, long SizeBytes);

/// <summary>A pool name across the cluster: <c>GET /v1/storage-pools/{name}</c>.</summary>
public sealed record PoolConceptView(string Name, string Type, bool IsClusterDefault, IReadOnlyList<StoragePool> Instances);

/// <summary><c>POST /v1/storage-pools</c>: register one (name, node) instance.</summary>
public sealed record CreatePoolRequest
{
    /// <summary>DNS-label name.</summary>
    public string? Name { get; init; }

    /// <summary>The node (by name).</summary>
    public string? Node { get; init; }

    /// <summary>Absolute directory under one of <c>storage_pools.allowed_path_prefixes</c>.</summary>
    public string? Path { get; init; }

    /// <summary><c>local_dir</c> (the default and only type).</summary>
    public string? Type { get; init; }
}

/// <summary>The cluster default pool: <c>GET/PUT /v1/cluster/default-pool</c>.</summary>
public sealed record DefaultPool
{
    /// <summary>The pool name.</summary>
    public string? Name { get; init; }
}
