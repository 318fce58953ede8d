namespace Otherix.Api.Errors;

/// <summary>Error codes shared by the control plane, the agent and the CLI; scripts match on these.</summary>
public static class ErrorCodes
{
    /// <summary>A request field is missing or malformed, the body is not JSON or too large.</summary>
    public const string ValidationFailed = "validation_failed";

    /// <summary>No, a malformed, an expired or an unknown credential was presented.</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>Login rejected: unknown email or wrong password (never says which).</summary>
    public const string InvalidCredentials = "invalid_credentials";

    /// <summary>The API token was revoked.</summary>
    public const string TokenRevoked = "token_revoked";

    /// <summary>The join token is past its expiry.</summary>
    public const string TokenExpired = "token_expired";

    /// <summary>The join token has no uses left.</summary>
    public const string TokenExhausted = "token_exhausted";

    /// <summary>The caller's role does not allow the operation (<c>details.required</c>).</summary>
    public const string PermissionDenied = "permission_denied";

    /// <summary>The resource does not exist or the caller may not see it.</summary>
    public const string NotFound = "not_found";

    /// <summary>The route exists but not with this method.</summary>
    public const string MethodNotAllowed = "method_not_allowed";

    /// <summary>A duplicate or a state that does not allow the operation (<c>details.reason</c>).</summary>
    public const string Conflict = "conflict";

    /// <summary>Too many attempts; retry after <c>details.retry_after_seconds</c>.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>The node hint names a node without an instance of the pool.</summary>
    public const string PoolNotOnNode = "pool_not_on_node";

    /// <summary>No node can take the VM (see <c>details.node_utilization</c>).</summary>
    public const string NoEligibleNodes = "no_eligible_nodes";

    /// <summary>No pool given and no cluster default pool set.</summary>
    public const string DefaultPoolNotSet = "default_pool_not_set";

    /// <summary>VM names are unique in the cluster.</summary>
    public const string VmNameInUse = "vm_name_in_use";

    /// <summary>No such VM (or not visible to the caller).</summary>
    public const string VmNotFound = "vm_not_found";

    /// <summary>Another session holds the VM's console.</summary>
    public const string ConsoleInUse = "console_in_use";

    /// <summary>The VM is not running (no console).</summary>
    public const string VmNotRunning = "vm_not_running";

    /// <summary>The node is not ready (pending, unreachable or gone).</summary>
    public const string NodeNotReady = "node_not_ready";

    /// <summary>A pool path outside <c>storage_pools.allowed_path_prefixes</c>.</summary>
    public const string PathNotAllowed = "path_not_allowed";

    /// <summary>No pool of that name.</summary>
    public const string PoolNotFound = "pool_not_found";

    /// <summary>The pool name exists on several nodes; say which.</summary>
    public const string PoolNameAmbiguous = "pool_name_ambiguous";

    /// <summary>The control plane could not reach the agent that owns the resource.</summary>
    public const string AgentUnreachable = "agent_unreachable";

    /// <summary>The server failed in a way the caller cannot fix.</summary>
    public const string Internal = "internal";
}
