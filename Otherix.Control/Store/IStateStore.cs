using Otherix.Api.Tasks;

namespace Otherix.Control.Store;

/// <summary>
/// The control plane's state. Every method is synchronous and one atomic step; every method that
/// changes something returns only after the change is on disk.
/// </summary>
public interface IStateStore
{
    /// <summary>Users.</summary>
    IUserStore Users { get; }

    /// <summary>API tokens.</summary>
    IApiTokenStore ApiTokens { get; }

    /// <summary>Tasks and their leases.</summary>
    ITaskStore Tasks { get; }

    /// <summary>Nodes.</summary>
    INodeStore Nodes { get; }

    /// <summary>Join tokens and their use.</summary>
    IJoinTokenStore JoinTokens { get; }

    /// <summary>Storage pool instances.</summary>
    IPoolStore Pools { get; }

    /// <summary>VMs.</summary>
    IVmStore Vms { get; }

    /// <summary>Cluster-wide settings (the cluster CA certificate, defaults).</summary>
    ISettingsStore Settings { get; }

    /// <summary>The schema version the file is at.</summary>
    int SchemaVersion { get; }

    /// <summary>Reads something from the file; false when that fails (for <c>/readyz</c>).</summary>
    bool IsReadable();
}

/// <summary>Users (soft-deleted ones are invisible to every method).</summary>
public interface IUserStore
{
    /// <summary>By id.</summary>
    UserRecord? Find(Guid id);

    /// <summary>By email, case-insensitive.</summary>
    UserRecord? FindByEmail(string email);

    /// <summary>A page ordered by id.</summary>
    Page<UserRecord> List(string? email, Guid? after, int limit);

    /// <summary>How many live users have <paramref name="role"/>.</summary>
    int CountByRole(Otherix.Api.Auth.Role role);

    /// <summary>Adds a user.</summary>
    /// <exception cref="DuplicateKeyException">The email is taken.</exception>
    void Insert(UserRecord user);

    /// <summary>Saves changes to a live user; false if it no longer exists.</summary>
    bool Update(UserRecord user);

    /// <summary>Soft-deletes a user and revokes all their tokens in one step; false if it does not exist.</summary>
    bool Delete(Guid id, DateTime now);

    /// <summary>
    /// Inserts the first admin unless the store was ever bootstrapped (a flag that outlives the user);
    /// false when it was.
    /// </summary>
    bool Bootstrap(UserRecord admin);

    /// <summary>Whether <see cref="Bootstrap"/> ever succeeded.</summary>
    bool IsBootstrapped();
}

/// <summary>API tokens.</summary>
public interface IApiTokenStore
{
    /// <summary>Adds a token.</summary>
    void Insert(ApiTokenRecord token);

    /// <summary>By id.</summary>
    ApiTokenRecord? Find(Guid id);

    /// <summary>By the SHA-256 of the secret.</summary>
    ApiTokenRecord? FindByHash(string hash);

    /// <summary>A user's tokens ordered by id.</summary>
    Page<ApiTokenRecord> List(Guid userId, bool includeRevoked, Guid? after, int limit);

    /// <summary>Marks it revoked (once); false if unknown.</summary>
    bool Revoke(Guid id, DateTime now);

    /// <summary>Records use.</summary>
    void Touch(Guid id, DateTime now);
}

/// <summary>Tasks and the leases workers hold on them.</summary>
public interface ITaskStore
{
    /// <summary>Adds a pending task.</summary>
    void Insert(TaskRecord task);

    /// <summary>By id.</summary>
    TaskRecord? Find(Guid id);

    /// <summary>A page, newest first.</summary>
    Page<TaskRecord> List(TaskFilter filter, Guid? after, int limit);

    /// <summary>
    /// Claims the oldest pending task, or a running one whose lease ran out, for <paramref name="owner"/>
    /// until <paramref name="leaseUntil"/>, counting an attempt. Null when there is nothing to do.
    /// </summary>
    TaskRecord? Claim(string owner, DateTime now, DateTime leaseUntil);

    /// <summary>Extends a lease still held by <paramref name="owner"/>; null if it was lost, else the current record.</summary>
    TaskRecord? Renew(Guid id, string owner, DateTime leaseUntil);

    /// <summary>Saves progress if <paramref name="owner"/> still holds the lease.</summary>
    bool SetProgress(Guid id, string owner, int progress);

    /// <summary>Finishes a task still leased by <paramref name="owner"/> (status, error, finish time, lease dropped).</summary>
    bool Finish(Guid id, string owner, TaskState status, string? errorCode, string? errorMessage, string? errorDetails, DateTime now);

    /// <summary>Cancels a pending task or asks a running one to stop.</summary>
    (CancelOutcome Outcome, TaskRecord? Task) Cancel(Guid id, DateTime now);

    /// <summary>Ends the leases of every running task (at start-up: their holders died with the last process).</summary>
    int ExpireAllLeases(DateTime now);

    /// <summary>Deletes tasks finished with one of <paramref name="statuses"/> before <paramref name="cutoff"/>.</summary>
    int DeleteFinished(IReadOnlyCollection<TaskState> statuses, DateTime cutoff);
}

/// <summary>Named cluster-wide values.</summary>
public interface ISettingsStore
{
    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    string? Find(string key);

    /// <summary>Sets <paramref name="key"/> only if it has no value yet; returns the value now stored.</summary>
    string PutIfAbsent(string key, string value);

    /// <summary>Sets <paramref name="key"/>, or removes it when <paramref name="value"/> is null.</summary>
    void Put(string key, string? value);
}

/// <summary>Nodes, by name (case-insensitive) or certificate fingerprint.</summary>
public interface INodeStore
{
    /// <summary>By name.</summary>
    NodeRecord? FindByName(string name);

    /// <summary>By the fingerprint of its current certificate.</summary>
    NodeRecord? FindByFingerprint(string fingerprint);

    /// <summary>A page ordered by id.</summary>
    Page<NodeRecord> List(string? architecture, NodeStatus? status, Guid? after, int limit);

    /// <summary>Saves a node's changed fields; false if it is gone.</summary>
    bool Update(NodeRecord node);

    /// <summary>Marks ready nodes whose last heartbeat (or join) is before <paramref name="staleBefore"/> unreachable; returns their names.</summary>
    IReadOnlyList<string> MarkStale(DateTime staleBefore, DateTime now);

    /// <summary>Removes a node; false if it is gone.</summary>
    bool Delete(Guid id);
}

/// <summary>Join tokens.</summary>
public interface IJoinTokenStore
{
    /// <summary>Adds a token.</summary>
    void Insert(JoinTokenRecord token);

    /// <summary>By id.</summary>
    JoinTokenRecord? Find(Guid id);

    /// <summary>A page ordered by id; expired and revoked ones only if asked.</summary>
    Page<JoinTokenRecord> List(bool includeExpired, DateTime now, Guid? after, int limit);

    /// <summary>Revokes it; false if unknown.</summary>
    bool Revoke(Guid id, DateTime now);

    /// <summary>A token's uses, ordered by id.</summary>
    Page<JoinConsumptionRecord> Consumptions(Guid tokenId, Guid? after, int limit);

    /// <summary>
    /// Checks the token and registers the node in one transaction: of two racing redemptions of a
    /// single-use token exactly one joins.
    /// </summary>
    RedeemOutcome Redeem(JoinRequest request);
}

/// <summary>Storage pool instances, one per (name, node).</summary>
public interface IPoolStore
{
    /// <summary>Adds an instance.</summary>
    /// <exception cref="DuplicateKeyException">That name exists on that node.</exception>
    void Insert(PoolRecord pool);

    /// <summary>By id.</summary>
    PoolRecord? Find(Guid id);

    /// <summary>Every instance of a pool name.</summary>
    IReadOnlyList<PoolRecord> FindByName(string name);

    /// <summary>A page ordered by id, optionally of one node.</summary>
    Page<PoolRecord> List(string? node, Guid? after, int limit);

    /// <summary>Adds the instance unless that name exists on that node; returns whether it was added.</summary>
    bool EnsureOn(PoolRecord pool);

    /// <summary>Records an agent's reports for the instances on <paramref name="node"/>.</summary>
    void ApplyReports(string node, IReadOnlyList<PoolReportRecord> reports, DateTime now);

    /// <summary>Removes an instance; false if it is gone.</summary>
    bool Delete(Guid id);
}

/// <summary>VMs, by id or name.</summary>
public interface IVmStore
{
    /// <summary>Adds a VM and the task that creates it in one step.</summary>
    /// <exception cref="DuplicateKeyException">The name is taken.</exception>
    void InsertWithTask(VmRecord vm, TaskRecord task);

    /// <summary>By id.</summary>
    VmRecord? Find(Guid id);

    /// <summary>By name.</summary>
    VmRecord? FindByName(string name);

    /// <summary>A page ordered by id.</summary>
    Page<VmRecord> List(VmFilter filter, Guid? after, int limit);

    /// <summary>Every VM placed on <paramref name="node"/>.</summary>
    IReadOnlyList<VmRecord> OnNode(string node);

    /// <summary>Applies <paramref name="change"/> to the stored VM atomically; returns it, or null if gone.</summary>
    VmRecord? Update(Guid id, Action<VmRecord> change);

    /// <summary>Removes a VM; false if gone.</summary>
    bool Delete(Guid id);
}
