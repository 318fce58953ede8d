namespace Otherix.Control.Store;

/// <summary>Where a node is in its life.</summary>
public enum NodeStatus
{
    /// <summary>Joined, no heartbeat yet.</summary>
    Pending,

    /// <summary>Heartbeating.</summary>
    Ready,

    /// <summary>No heartbeat for longer than the stale threshold.</summary>
    Unreachable,
}

/// <summary>A host running an agent.</summary>
public sealed class NodeRecord : IKeyed
{
    /// <summary>Stable id.</summary>
    public Guid Id { get; set; }

    /// <summary>DNS-label name, unique (lower case).</summary>
    public string Name { get; set; } = "";

    /// <summary>amd64 or arm64.</summary>
    public string Architecture { get; set; } = "";

    /// <summary>Where the control plane reaches the agent (host:port).</summary>
    public string AdvertisedEndpoint { get; set; } = "";

    /// <summary>Liveness.</summary>
    public NodeStatus Status { get; set; }

    /// <summary>Set while cordoned (no new VMs).</summary>
    public DateTime? CordonedAt { get; set; }

    /// <summary>Fingerprint of the node's current certificate (unique).</summary>
    public string CertFingerprint { get; set; } = "";

    /// <summary>Its serial (hex).</summary>
    public string CertSerial { get; set; } = "";

    /// <summary>Its expiry.</summary>
    public DateTime CertNotAfter { get; set; }

    /// <summary>Last heartbeat.</summary>
    public DateTime? LastHeartbeatAt { get; set; }

    /// <summary>Reported by the agent.</summary>
    public string AgentVersion { get; set; } = "";

    /// <summary>Hardware and software facts from the last heartbeat.</summary>
    public NodeFacts Facts { get; set; } = new();

    /// <summary>Creation time.</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>Last change.</summary>
    public DateTime UpdatedAt { get; set; }
}

/// <summary>What the last heartbeat said about the node.</summary>
public sealed class NodeFacts
{
    /// <summary>CPU cores.</summary>
    public int CpuCoresTotal { get; set; }

    /// <summary>Cores not committed to VMs.</summary>
    public int CpuCoresAvailable { get; set; }

    /// <summary>Memory.</summary>
    public long MemoryTotalMib { get; set; }

    /// <summary>Memory available.</summary>
    public long MemoryAvailableMib { get; set; }

    /// <summary>Root file system size.</summary>
    public long SystemDiskTotalBytes { get; set; }

    /// <summary>Root file system free space.</summary>
    public long SystemDiskAvailableBytes { get; set; }

    /// <summary>CPU model name.</summary>
    public string CpuModel { get; set; } = "";

    /// <summary>Kernel release.</summary>
    public string KernelVersion { get; set; } = "";

    /// <summary>libvirt version.</summary>
    public string LibvirtVersion { get; set; } = "";

    /// <summary>QEMU version.</summary>
    public string QemuVersion { get; set; } = "";

    /// <summary>kvm or tcg.</summary>
    public string Acceleration { get; set; } = "";

    /// <summary>Live-migration host.</summary>
    public string MigrationHost { get; set; } = "";

    /// <summary>Live-migration port range start.</summary>
    public int MigrationPortStart { get; set; }

    /// <summary>Live-migration port range end.</summary>
    public int MigrationPortEnd { get; set; }

    /// <summary>Pools as last reported (JSON).</summary>
    public string PoolsJson { get; set; } = "[]";

    /// <summary>VMs as last reported (JSON).</summary>
    public string VmsJson { get; set; } = "[]";
}

/// <summary>A join token; only the SHA-256 of the secret is kept.</summary>
public sealed class JoinTokenRecord : IKeyed
{
    /// <summary>Stable id.</summary>
    public Guid Id { get; set; }

    /// <summary>SHA-256 hex of the secret (unique).</summary>
    public string Hash { get; set; } = "";

    /// <summary>When set, only this node name may join with it.</summary>
    public string? NodeName { get; set; }

    /// <summary>When it stops working.</summary>
    public DateTime ExpiresAt { get; set; }

    /// <summary>Uses allowed; 0 means unlimited.</summary>
    public int MaxUses { get; set; }

    /// <summary>Uses so far.</summary>
    public int Consumed { get; set; }

    /// <summary>When revoked.</summary>
    public DateTime? RevokedAt { get; set; }

    /// <summary>Who created it.</summary>
    public Guid? CreatedBy { get; set; }

    /// <summary>Creation time.</summary>
    public DateTime CreatedAt { get; set; }
}

/// <summary>One successful use of a join token.</summary>
public sealed class JoinConsumptionRecord : IKeyed
{
    /// <summary>Stable id.</summary>
    public Guid Id { get; set; }

    /// <summary>The token used.</summary>
    public Guid JoinTokenId { get; set; }

    /// <summary>The node that joined.</summary>
    public Guid NodeId { get; set; }

    /// <summary>Its name.</summary>
    public string NodeName { get; set; } = "";

    /// <summary>When.</summary>
    public DateTime ConsumedAt { get; set; }

    /// <summary>From where.</summary>
    public string? SourceIp { get; set; }
}

/// <summary>What redeeming a join token did.</summary>
public enum RedeemOutcome
{
    /// <summary>The node was registered (or its certificate replaced).</summary>
    Joined,

    /// <summary>No such token, or revoked.</summary>
    Unknown,

    /// <summary>Past its expiry.</summary>
    Expired,

    /// <summary>Its use cap is reached.</summary>
    Exhausted,

    /// <summary>The token is bound to another node name.</summary>
    NameMismatch,

    /// <summary>A node of that name exists and the token is not bound to it.</summary>
    NodeExists,
}

/// <summary>A join token redemption: what to register if the token is good.</summary>
public sealed record JoinRequest(string TokenHash, NodeRecord Node, string? SourceIp, DateTime Now);
