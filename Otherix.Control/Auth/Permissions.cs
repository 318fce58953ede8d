using Otherix.Api.Auth;

namespace Otherix.Control.Auth;

/// <summary>Everything an endpoint can require. The wire name (<c>vm:read</c>, …) is <see cref="RbacMatrix.NameOf"/>.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A permission is what it is.")]
public enum Permission
{
    /// <summary>vm:read</summary>
    VmRead,
    /// <summary>vm:create</summary>
    VmCreate,
    /// <summary>vm:update</summary>
    VmUpdate,
    /// <summary>vm:delete</summary>
    VmDelete,
    /// <summary>vm:lifecycle</summary>
    VmLifecycle,
    /// <summary>vm:resize</summary>
    VmResize,
    /// <summary>vm:console</summary>
    VmConsole,
    /// <summary>vm:migrate</summary>
    VmMigrate,
    /// <summary>snapshot:read</summary>
    SnapshotRead,
    /// <summary>snapshot:create</summary>
    SnapshotCreate,
    /// <summary>snapshot:delete</summary>
    SnapshotDelete,
    /// <summary>network:read</summary>
    NetworkRead,
    /// <summary>network:manage</summary>
    NetworkManage,
    /// <summary>storage_pool:read</summary>
    StoragePoolRead,
    /// <summary>storage_pool:manage</summary>
    StoragePoolManage,
    /// <summary>storage_pool:scan</summary>
    StoragePoolScan,
    /// <summary>node:read</summary>
    NodeRead,
    /// <summary>node:manage</summary>
    NodeManage,
    /// <summary>node:maintenance</summary>
    NodeMaintenance,
    /// <summary>cluster:read</summary>
    ClusterRead,
    /// <summary>cluster:manage</summary>
    ClusterManage,
    /// <summary>user:read</summary>
    UserRead,
    /// <summary>user:manage</summary>
    UserManage,
    /// <summary>api_token:manage</summary>
    ApiTokenManage,
    /// <summary>task:read</summary>
    TaskRead,
    /// <summary>task:cancel</summary>
    TaskCancel,
}

/// <summary>How far a granted permission reaches.</summary>
public enum Scope
{
    /// <summary>Not granted.</summary>
    None,

    /// <summary>Only resources the caller owns (others answer 404).</summary>
    Own,

    /// <summary>Every resource.</summary>
    Any,
}

/// <summary>The one permission matrix (reference §4): role × permission → scope.</summary>
public static class RbacMatrix
{
    private static readonly Dictionary<Permission, (Scope Admin, Scope Operator, Scope Developer, Scope Viewer)> Matrix = new()
    {
        [Permission.VmRead] = (Scope.Any, Scope.Any, Scope.Own, Scope.Any),
        [Permission.VmCreate] = (Scope.Any, Scope.Any, Scope.Any, Scope.None),
        [Permission.VmUpdate] = (Scope.Any, Scope.Any, Scope.Own, Scope.None),
        [Permission.VmDelete] = (Scope.Any, Scope.Any, Scope.Own, Scope.None),
        [Permission.VmLifecycle] = (Scope.Any, Scope.Any, Scope.Own, Scope.None),
        [Permission.VmResize] = (Scope.Any, Scope.Any, Scope.Own, Scope.None),
        [Permission.VmConsole] = (Scope.Any, Scope.Any, Scope.Own, Scope.None),
        [Permission.VmMigrate] = (Scope.Any, Scope.Any, Scope.None, Scope.None),
        [Permission.SnapshotRead] = (Scope.Any, Scope.Any, Scope.Own, Scope.Own),
        [Permission.SnapshotCreate] = (Scope.Any, Scope.Any, Scope.Own, Scope.None),
        [Permission.SnapshotDelete] = (Scope.Any, Scope.Any, Scope.Own, Scope.None),
        [Permission.NetworkRead] = (Scope.Any, Scope.Any, Scope.Any, Scope.Any),
        [Permission.NetworkManage] = (Scope.Any, Scope.None, Scope.None, Scope.None),
        [Permission.StoragePoolRead] = (Scope.Any, Scope.Any, Scope.Any, Scope.Any),
        [Permission.StoragePoolManage] = (Scope.Any, Scope.None, Scope.None, Scope.None),
        [Permission.StoragePoolScan] = (Scope.Any, Scope.Any, Scope.None, Scope.None),
        [Permission.NodeRead] = (Scope.Any, Scope.Any, Scope.Any, Scope.Any),
        [Permission.NodeManage] = (Scope.Any, Scope.None, Scope.None, Scope.None),
        [Permission.NodeMaintenance] = (Scope.Any, Scope.Any, Scope.None, Scope.None),
        [Permission.ClusterRead] = (Scope.Any, Scope.Any, Scope.Any, Scope.Any),
        [Permission.ClusterManage] = (Scope.Any, Scope.None, Scope.None, Scope.None),
        [Permission.UserRead] = (Scope.Any, Scope.Any, Scope.None, Scope.None),
        [Permission.UserManage] = (Scope.Any, Scope.None, Scope.None, Scope.None),
        [Permission.ApiTokenManage] = (Scope.Any, Scope.Own, Scope.Own, Scope.Own),
        [Permission.TaskRead] = (Scope.Any, Scope.Any, Scope.Own, Scope.Own),
        [Permission.TaskCancel] = (Scope.Any, Scope.Any, Scope.Own, Scope.None),
    };

    /// <summary>Every permission, in declaration order.</summary>
    public static IReadOnlyList<Permission> All { get; } = Enum.GetValues<Permission>();

    /// <summary>What <paramref name="role"/> may do with <paramref name="permission"/>.</summary>
    public static Scope ScopeOf(Role role, Permission permission)
    {
        var row = Matrix[permission];
        return role switch
        {
            Role.Admin => row.Admin,
            Role.Operator => row.Operator,
            Role.Developer => row.Developer,
            Role.Viewer => row.Viewer,
            _ => Scope.None,
        };
    }

    /// <summary>The wire name, e.g. <c>api_token:manage</c>.</summary>
    public static string NameOf(Permission permission)
    {
        var name = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(permission.ToString());
        var cut = name.LastIndexOf('_');
        return name[..cut] + ":" + name[(cut + 1)..];
    }
}
