using LiteDB;
using Otherix.Api.Tasks;

namespace Otherix.Control.Store;

/// <summary>
/// <see cref="IStateStore"/> on one LiteDB file (<c>&lt;data_dir&gt;/state.db</c>). Writes are serialized
/// and synced by <see cref="StateDatabase"/>; reads run concurrently. Migrations run when it opens.
/// </summary>
public sealed class LiteDbStateStore : IStateStore, IDisposable
{
    private const string Meta = "meta";
    private readonly StateDatabase _db;

    private LiteDbStateStore(StateDatabase db)
    {
        _db = db;
        Users = new UserStore(db);
        ApiTokens = new ApiTokenStore(db);
        Tasks = new TaskStore(db);
        Settings = new SettingsStore(db);
        Nodes = new NodeStore(db);
        JoinTokens = new JoinTokenStore(db);
        Pools = new PoolStore(db);
        Vms = new VmStore(db);
    }

    /// <inheritdoc />
    public IUserStore Users { get; }

    /// <inheritdoc />
    public IApiTokenStore ApiTokens { get; }

    /// <inheritdoc />
    public ITaskStore Tasks { get; }

    /// <inheritdoc />
    public ISettingsStore Settings { get; }

    /// <inheritdoc />
    public INodeStore Nodes { get; }

    /// <inheritdoc />
    public IJoinTokenStore JoinTokens { get; }

    /// <inheritdoc />
    public IPoolStore Pools { get; }

    /// <inheritdoc />
    public IVmStore Vms { get; }

    /// <inheritdoc />
    public int SchemaVersion => ReadVersion(_db.Database);

    /// <summary>The schema version this build writes.</summary>
    public static int LatestSchemaVersion => Migrations.Count;

    /// <summary>Opens <paramref name="path"/>, bringing its schema up to <see cref="LatestSchemaVersion"/>.</summary>
    /// <exception cref="InvalidOperationException">A newer Otherix wrote the file.</exception>
    public static LiteDbStateStore Open(string path)
    {
        var mapper = new BsonMapper { EnumAsInteger = false, SerializeNullValues = false, EmptyStringToNull = false, TrimWhitespace = false };
        var db = StateDatabase.Open(path, mapper);
        try
        {
            Migrate(db);
            return new LiteDbStateStore(db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public bool IsReadable()
    {
        try
        {
            return _db.Database.GetCollection(Meta).FindById("schema") is not null;
        }
        catch (LiteException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Checkpoints and closes the file.</summary>
    public void Dispose() => _db.Dispose();

    // Forward-only: entry i takes the file from version i to i+1. Never edit a shipped entry; append.
    private static readonly IReadOnlyList<Action<LiteDatabase>> Migrations =
    [
        db =>
        {
            db.UtcDate = true;
            var users = db.GetCollection<UserRecord>("users");
            users.EnsureIndex(u => u.EmailKey, unique: true);
            var tokens = db.GetCollection<ApiTokenRecord>("api_tokens");
            tokens.EnsureIndex(t => t.Hash, unique: true);
            tokens.EnsureIndex(t => t.UserId);
            var tasks = db.GetCollection<TaskRecord>("tasks");
            tasks.EnsureIndex(t => t.Status);
            tasks.EnsureIndex(t => t.Type);
            tasks.EnsureIndex(t => t.ResourceId);
            tasks.EnsureIndex(t => t.CreatedBy);
            tasks.EnsureIndex(t => t.FinishedAt);
        },
        db =>
        {
            var nodes = db.GetCollection<NodeRecord>("nodes");
            nodes.EnsureIndex(n => n.Name, unique: true);
            nodes.EnsureIndex(n => n.CertFingerprint, unique: true);
            nodes.EnsureIndex(n => n.Status);
            db.GetCollection<JoinTokenRecord>("join_tokens").EnsureIndex(t => t.Hash, unique: true);
            db.GetCollection<JoinConsumptionRecord>("join_consumptions").EnsureIndex(c => c.JoinTokenId);
        },
        db =>
        {
            var pools = db.GetCollection<PoolRecord>("pools");
            pools.EnsureIndex(p => p.Key, unique: true);
            pools.EnsureIndex(p => p.Name);
            pools.EnsureIndex(p => p.NodeName);
        },
        db =>
        {
            var vms = db.GetCollection<VmRecord>("vms");
            vms.EnsureIndex(v => v.Name, unique: true);
            vms.EnsureIndex(v => v.Node);
            vms.EnsureIndex(v => v.Pool);
            vms.EnsureIndex(v => v.OwnerId);
        },
    ];

    private static int ReadVersion(LiteDatabase db) => db.GetCollection(Meta).FindById("schema")?["version"].AsInt32 ?? 0;

    private static void Migrate(StateDatabase db)
    {
        var version = ReadVersion(db.Database);
        if (version > Migrations.Count)
        {
            throw new InvalidOperationException(
                $"{db.Path} has schema version {version}, this build knows up to {Migrations.Count}: it was written by a newer Otherix; run that version or restore a backup");
        }

        for (; version < Migrations.Count; version++)
        {
            var next = version + 1;
            var step = Migrations[version];
            // UtcDate is a pragma, which LiteDB will not change inside a transaction: migrations run one
            // step per write, then record the version; a crash in between re-runs an idempotent step.
            db.Write(d =>
            {
                step(d);
                return d.GetCollection(Meta).Upsert(new BsonDocument { ["_id"] = "schema", ["version"] = next });
            });
        }
    }

    private static TResult Guarded<TResult>(Func<TResult> work, string what)
    {
        try
        {
            return work();
        }
        catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            throw new DuplicateKeyException(what);
        }
    }

    private sealed class UserStore(StateDatabase db) : IUserStore
    {
        private static ILiteCollection<UserRecord> Users(LiteDatabase d) => d.GetCollection<UserRecord>("users");

        public UserRecord? Find(Guid id) => Users(db.Database).FindOne(u => u.Id == id && u.DeletedAt == null);

        public UserRecord? FindByEmail(string email)
        {
            var key = email.ToLowerInvariant();
            return Users(db.Database).FindOne(u => u.EmailKey == key);
        }

        public Page<UserRecord> List(string? email, Guid? after, int limit)
        {
            var query = Users(db.Database).Query().Where(u => u.DeletedAt == null);
            if (email is not null)
            {
                var key = email.ToLowerInvariant();
                query = query.Where(u => u.EmailKey == key);
            }

            return KeysetPage(query, after, limit, descending: false);
        }

        public int CountByRole(Otherix.Api.Auth.Role role) => Users(db.Database).Count(u => u.Role == role && u.DeletedAt == null);

        public void Insert(UserRecord user) =>
            Guarded(() => db.Write(d => Users(d).Insert(user)), $"a user with email {user.Email} exists");

        public bool Update(UserRecord user) => db.Write(d =>
            Users(d).Exists(u => u.Id == user.Id && u.DeletedAt == null) && Users(d).Update(user));

        public bool Delete(Guid id, DateTime now) => db.WriteAtomically(d =>
        {
            var user = Users(d).FindOne(u => u.Id == id && u.DeletedAt == null);
            if (user is null)
            {
                return false;
            }

            user.DeletedAt = now;
            user.UpdatedAt = now;
            user.EmailKey = $"deleted:{user.Id}:{user.EmailKey}"; // frees the email for a new user
            Users(d).Update(user);
            var tokens = d.GetCollection<ApiTokenRecord>("api_tokens");
            foreach (var token in tokens.Find(t => t.UserId == id && t.RevokedAt == null).ToList())
            {
                token.RevokedAt = now;
                tokens.Update(token);
            }

            return true;
        });

        public bool Bootstrap(UserRecord admin) => Guarded(() => db.WriteAtomically(d =>
        {
            var meta = d.GetCollection(Meta);
            if (meta.FindById("bootstrap") is not null)
            {
                return false;
            }

            Users(d).Insert(admin);
            meta.Insert(new BsonDocument { ["_id"] = "bootstrap", ["user_id"] = admin.Id, ["at"] = admin.CreatedAt });
            return true;
        }), $"a user with email {admin.Email} exists");

        public bool IsBootstrapped() => db.Database.GetCollection(Meta).FindById("bootstrap") is not null;
    }

    private sealed class ApiTokenStore(StateDatabase db) : IApiTokenStore
    {
        private static ILiteCollection<ApiTokenRecord> Tokens(LiteDatabase d) => d.GetCollection<ApiTokenRecord>("api_tokens");

        public void Insert(ApiTokenRecord token) => Guarded(() => db.Write(d => Tokens(d).Insert(token)), "token collision");

        public ApiTokenRecord? Find(Guid id) => Tokens(db.Database).FindById(id);

        public ApiTokenRecord? FindByHash(string hash) => Tokens(db.Database).FindOne(t => t.Hash == hash);

        public Page<ApiTokenRecord> List(Guid userId, bool includeRevoked, Guid? after, int limit)
        {
            var query = Tokens(db.Database).Query().Where(t => t.UserId == userId);
            if (!includeRevoked)
            {
                query = query.Where(t => t.RevokedAt == null);
            }

            return KeysetPage(query, after, limit, descending: false);
        }

        public bool Revoke(Guid id, DateTime now) => db.Write(d =>
        {
            var token = Tokens(d).FindById(id);
            if (token is null)
            {
                return false;
            }

            if (token.RevokedAt is null)
            {
                token.RevokedAt = now;
                Tokens(d).Update(token);
            }

            return true;
        });

        public void Touch(Guid id, DateTime now) => db.Write(d =>
        {
            var token = Tokens(d).FindById(id);
            if (token is not null)
            {
                token.LastUsedAt = now;
                Tokens(d).Update(token);
            }

            return token;
        });
    }

    private sealed class TaskStore(StateDatabase db) : ITaskStore
    {
        private static ILiteCollection<TaskRecord> Tasks(LiteDatabase d) => d.GetCollection<TaskRecord>("tasks");

        public void Insert(TaskRecord task) => db.Write(d => Tasks(d).Insert(task));

        public TaskRecord? Find(Guid id) => Tasks(db.Database).FindById(id);

        public Page<TaskRecord> List(TaskFilter filter, Guid? after, int limit)
        {
            var query = Tasks(db.Database).Query();
            if (filter.Status is { } status)
            {
                query = query.Where(t => t.Status == status);
            }

            if (filter.Type is { } type)
            {
                query = query.Where(t => t.Type == type);
            }

            if (filter.ResourceType is { } resourceType)
            {
                query = query.Where(t => t.ResourceType == resourceType);
            }

            if (filter.ResourceId is { } resourceId)
            {
                query = query.Where(t => t.ResourceId == resourceId);
            }

            if (filter.CreatedBy is { } createdBy)
            {
                query = query.Where(t => t.CreatedBy == createdBy);
            }

            return KeysetPage(query, after, limit, descending: true);
        }

        public TaskRecord? Claim(string owner, DateTime now, DateTime leaseUntil) => db.Write(d =>
        {
            var tasks = Tasks(d);
            var task = tasks.Query().Where(t => t.Status == TaskState.Pending).OrderBy(t => t.Id).FirstOrDefault()
                ?? tasks.Query().Where(t => t.Status == TaskState.Running && t.LeaseExpiresAt < now).OrderBy(t => t.Id).FirstOrDefault();
            if (task is null)
            {
                return null;
            }

            task.Status = TaskState.Running;
            task.LeaseOwner = owner;
            task.LeaseExpiresAt = leaseUntil;
            task.StartedAt ??= now;
            task.Attempts++;
            tasks.Update(task);
            return task;
        });

        public TaskRecord? Renew(Guid id, string owner, DateTime leaseUntil) => db.Write(d =>
        {
            var task = Tasks(d).FindById(id);
            if (task is null || task.Status != TaskState.Running || task.LeaseOwner != owner)
            {
                return null;
            }

            task.LeaseExpiresAt = leaseUntil;
            Tasks(d).Update(task);
            return task;
        });

        public bool SetProgress(Guid id, string owner, int progress) => db.Write(d =>
        {
            var task = Tasks(d).FindById(id);
            if (task is null || task.Status != TaskState.Running || task.LeaseOwner != owner)
            {
                return false;
            }

            task.Progress = progress;
            return Tasks(d).Update(task);
        });

        public bool Finish(Guid id, string owner, TaskState status, string? errorCode, string? errorMessage, string? errorDetails, DateTime now) => db.Write(d =>
        {
            var task = Tasks(d).FindById(id);
            if (task is null || task.Status != TaskState.Running || task.LeaseOwner != owner)
            {
                return false;
            }

            task.Status = status;
            task.ErrorCode = errorCode;
            task.ErrorMessage = errorMessage;
            task.ErrorDetails = errorDetails;
            task.FinishedAt = now;
            task.LeaseOwner = null;
            task.LeaseExpiresAt = null;
            if (status == TaskState.Success)
            {
                task.Progress = 100;
            }

            return Tasks(d).Update(task);
        });

        public (CancelOutcome Outcome, TaskRecord? Task) Cancel(Guid id, DateTime now) => db.Write<(CancelOutcome, TaskRecord?)>(d =>
        {
            var task = Tasks(d).FindById(id);
            switch (task?.Status)
            {
                case null:
                    return (CancelOutcome.NotFound, null);
                case TaskState.Pending:
                    task.Status = TaskState.Cancelled;
                    task.CancelRequested = true;
                    task.FinishedAt = now;
                    Tasks(d).Update(task);
                    return (CancelOutcome.Cancelled, task);
                case TaskState.Running:
                    task.CancelRequested = true;
                    Tasks(d).Update(task);
                    return (CancelOutcome.Requested, task);
                default:
                    return (CancelOutcome.AlreadyFinished, task);
            }
        });

        public int ExpireAllLeases(DateTime now) => db.Write(d =>
        {
            var tasks = Tasks(d);
            var running = tasks.Find(t => t.Status == TaskState.Running).ToList();
            foreach (var task in running)
            {
                task.LeaseExpiresAt = now;
                tasks.Update(task);
            }

            return running.Count;
        });

        public int DeleteFinished(IReadOnlyCollection<TaskState> statuses, DateTime cutoff) => db.Write(d =>
        {
            var total = 0;
            foreach (var status in statuses)
            {
                total += Tasks(d).DeleteMany(t => t.Status == status && t.FinishedAt < cutoff);
            }

            return total;
        });
    }

    private sealed class SettingsStore(StateDatabase db) : ISettingsStore
    {
        private const string Collection = "settings";

        public string? Find(string key) => db.Database.GetCollection(Collection).FindById(key)?["value"].AsString;

        public string PutIfAbsent(string key, string value) => db.WriteAtomically(d =>
        {
            var settings = d.GetCollection(Collection);
            var existing = settings.FindById(key);
            if (existing is not null)
            {
                return existing["value"].AsString;
            }

            settings.Insert(new BsonDocument { ["_id"] = key, ["value"] = value });
            return value;
        });

        public void Put(string key, string? value) => db.Write(d => value is null
            ? d.GetCollection(Collection).Delete(key)
            : d.GetCollection(Collection).Upsert(new BsonDocument { ["_id"] = key, ["value"] = value }));
    }

    private sealed class NodeStore(StateDatabase db) : INodeStore
    {
        private static ILiteCollection<NodeRecord> Nodes(LiteDatabase d) => d.GetCollection<NodeRecord>("nodes");

        public NodeRecord? FindByName(string name)
        {
            var key = name.ToLowerInvariant();
            return Nodes(db.Database).FindOne(n => n.Name == key);
        }

        public NodeRecord? FindByFingerprint(string fingerprint) => Nodes(db.Database).FindOne(n => n.CertFingerprint == fingerprint);

        public Page<NodeRecord> List(string? architecture, NodeStatus? status, Guid? after, int limit)
        {
            var query = Nodes(db.Database).Query();
            if (architecture is not null)
            {
                query = query.Where(n => n.Architecture == architecture);
            }

            if (status is { } s)
            {
                query = query.Where(n => n.Status == s);
            }

            return KeysetPage(query, after, limit, descending: false);
        }

        public bool Update(NodeRecord node) => db.Write(d => Nodes(d).Update(node));

        public IReadOnlyList<string> MarkStale(DateTime staleBefore, DateTime now) => db.WriteAtomically(d =>
        {
            var stale = Nodes(d).Find(n => n.Status == NodeStatus.Ready).Where(n => (n.LastHeartbeatAt ?? n.CreatedAt) < staleBefore).ToList();
            foreach (var node in stale)
            {
                node.Status = NodeStatus.Unreachable;
                node.UpdatedAt = now;
                Nodes(d).Update(node);
            }

            return (IReadOnlyList<string>)stale.Select(n => n.Name).ToList();
        });

        public bool Delete(Guid id) => db.Write(d => Nodes(d).Delete(id));
    }

    private sealed class JoinTokenStore(StateDatabase db) : IJoinTokenStore
    {
        private static ILiteCollection<JoinTokenRecord> Tokens(LiteDatabase d) => d.GetCollection<JoinTokenRecord>("join_tokens");

        private static ILiteCollection<JoinConsumptionRecord> Uses(LiteDatabase d) => d.GetCollection<JoinConsumptionRecord>("join_consumptions");

        public void Insert(JoinTokenRecord token) => Guarded(() => db.Write(d => Tokens(d).Insert(token)), "token collision");

        public JoinTokenRecord? Find(Guid id) => Tokens(db.Database).FindById(id);

        public Page<JoinTokenRecord> List(bool includeExpired, DateTime now, Guid? after, int limit)
        {
            var query = Tokens(db.Database).Query();
            if (!includeExpired)
            {
                query = query.Where(t => t.RevokedAt == null && t.ExpiresAt > now);
            }

            return KeysetPage(query, after, limit, descending: false);
        }

        public bool Revoke(Guid id, DateTime now) => db.Write(d =>
        {
            var token = Tokens(d).FindById(id);
            if (token is null)
            {
                return false;
            }

            token.RevokedAt ??= now;
            return Tokens(d).Update(token);
        });

        public Page<JoinConsumptionRecord> Consumptions(Guid tokenId, Guid? after, int limit)
        {
            var query = Uses(db.Database).Query().Where(c => c.JoinTokenId == tokenId);
            return KeysetPage(query, after, limit, descending: false);
        }

        public RedeemOutcome Redeem(JoinRequest request) => db.WriteAtomically(d =>
        {
            var token = Tokens(d).FindOne(t => t.Hash == request.TokenHash);
            if (token is null || token.RevokedAt is not null)
            {
                return RedeemOutcome.Unknown;
            }

            if (token.ExpiresAt <= request.Now)
            {
                return RedeemOutcome.Expired;
            }

            if (token.MaxUses > 0 && token.Consumed >= token.MaxUses)
            {
                return RedeemOutcome.Exhausted;
            }

            var node = request.Node;
            if (token.NodeName is not null && !string.Equals(token.NodeName, node.Name, StringComparison.Ordinal))
            {
                return RedeemOutcome.NameMismatch;
            }

            var nodes = d.GetCollection<NodeRecord>("nodes");
            var existing = nodes.FindOne(n => n.Name == node.Name);
            if (existing is not null)
            {
                if (token.NodeName is null)
                {
                    return RedeemOutcome.NodeExists;
                }

                // Re-bootstrap with a token minted for this node: same node, new certificate (the old one stops working).
                existing.CertFingerprint = node.CertFingerprint;
                existing.CertSerial = node.CertSerial;
                existing.CertNotAfter = node.CertNotAfter;
                existing.Architecture = node.Architecture;
                existing.AdvertisedEndpoint = node.AdvertisedEndpoint;
                existing.Status = NodeStatus.Pending;
                existing.UpdatedAt = request.Now;
                nodes.Update(existing);
                node.Id = existing.Id;
            }
            else
            {
                nodes.Insert(node);
            }

            token.Consumed++;
            Tokens(d).Update(token);
            Uses(d).Insert(new JoinConsumptionRecord
            {
                Id = Ids.New(new DateTimeOffset(request.Now, TimeSpan.Zero)),
                JoinTokenId = token.Id,
                NodeId = node.Id,
                NodeName = node.Name,
                ConsumedAt = request.Now,
                SourceIp = request.SourceIp,
            });
            return RedeemOutcome.Joined;
        });
    }

    private sealed class PoolStore(StateDatabase db) : IPoolStore
    {
        private static ILiteCollection<PoolRecord> Pools(LiteDatabase d) => d.GetCollection<PoolRecord>("pools");

        public void Insert(PoolRecord pool) =>
            Guarded(() => db.Write(d => Pools(d).Insert(pool)), $"pool {pool.Name} exists on node {pool.NodeName}");

        public PoolRecord? Find(Guid id) => Pools(db.Database).FindById(id);

        public IReadOnlyList<PoolRecord> FindByName(string name) => Pools(db.Database).Find(p => p.Name == name).OrderBy(p => p.NodeName, StringComparer.Ordinal).ToList();

        public Page<PoolRecord> List(string? node, Guid? after, int limit)
        {
            var query = Pools(db.Database).Query();
            if (node is not null)
            {
                query = query.Where(p => p.NodeName == node);
            }

            return KeysetPage(query, after, limit, descending: false);
        }

        public bool EnsureOn(PoolRecord pool) => db.WriteAtomically(d =>
        {
            if (Pools(d).Exists(p => p.Key == pool.Key))
            {
                return false;
            }

            Pools(d).Insert(pool);
            return true;
        });

        public void ApplyReports(string node, IReadOnlyList<PoolReportRecord> reports, DateTime now) => db.WriteAtomically(d =>
        {
            var byName = reports.ToDictionary(r => r.Name, StringComparer.Ordinal);
            foreach (var pool in Pools(d).Find(p => p.NodeName == node).ToList())
            {
                if (!byName.TryGetValue(pool.Name, out var report))
                {
                    continue;
                }

                pool.Status = report.Status;
                pool.Error = report.Error;
                pool.CapacityBytes = report.CapacityBytes;
                pool.AvailableBytes = report.AvailableBytes;
                pool.ImagesJson = report.ImagesJson;
                pool.ReportedAt = now;
                pool.UpdatedAt = now;
                Pools(d).Update(pool);
            }

            return true;
        });

        public bool Delete(Guid id) => db.Write(d => Pools(d).Delete(id));
    }

    private sealed class VmStore(StateDatabase db) : IVmStore
    {
        private static ILiteCollection<VmRecord> Vms(LiteDatabase d) => d.GetCollection<VmRecord>("vms");

        public void InsertWithTask(VmRecord vm, TaskRecord task) => Guarded(
            () => db.WriteAtomically(d =>
            {
                Vms(d).Insert(vm);
                return d.GetCollection<TaskRecord>("tasks").Insert(task);
            }),
            $"a VM named {vm.Name} exists");

        public VmRecord? Find(Guid id) => Vms(db.Database).FindById(id);

        public VmRecord? FindByName(string name)
        {
            var key = name.ToLowerInvariant();
            return Vms(db.Database).FindOne(v => v.Name == key);
        }

        public Page<VmRecord> List(VmFilter filter, Guid? after, int limit)
        {
            var query = Vms(db.Database).Query();
            if (filter.Pool is { } pool)
            {
                query = query.Where(v => v.Pool == pool);
            }

            if (filter.Node is { } node)
            {
                query = query.Where(v => v.Node == node);
            }

            if (filter.Phase is { } phase)
            {
                query = query.Where(v => v.Phase == phase);
            }

            if (filter.Owner is { } owner)
            {
                query = query.Where(v => v.OwnerId == owner);
            }

            return KeysetPage(query, after, limit, descending: false);
        }

        public IReadOnlyList<VmRecord> OnNode(string node) => Vms(db.Database).Find(v => v.Node == node).ToList();

        public VmRecord? Update(Guid id, Action<VmRecord> change) => db.WriteAtomically(d =>
        {
            var vm = Vms(d).FindById(id);
            if (vm is null)
            {
                return null;
            }

            change(vm);
            Vms(d).Update(vm);
            return vm;
        });

        public bool Delete(Guid id) => db.Write(d => Vms(d).Delete(id));
    }

    // One page ordered by _id (UUIDv7, so by creation), read through the _id index from the cursor on.
    private static Page<T> KeysetPage<T>(ILiteQueryable<T> query, Guid? after, int limit, bool descending)
        where T : IKeyed
    {
        if (after is { } a)
        {
            query = query.Where(descending ? "_id < @0" : "_id > @0", new BsonValue(a));
        }

        var rows = (descending ? query.OrderByDescending("_id") : query.OrderBy("_id")).Limit(limit + 1).ToList();
        return rows.Count > limit ? new Page<T>(rows[..limit], rows[limit - 1].Id) : new Page<T>(rows, null);
    }
}
