namespace Otherix.Api.Nodes;

/// <summary><c>GET /v1/ca</c>: the cluster CA agents pin.</summary>
public sealed record CaInfo(string CertPem, string Fingerprint, DateTimeOffset NotBefore, DateTimeOffset NotAfter);

/// <summary><c>POST /v1/nodes/join-tokens</c>.</summary>
public sealed record CreateJoinTokenRequest
{
    /// <summary>Bind the token to this node name (then it is single-use).</summary>
    public string? NodeName { get; init; }

    /// <summary>Lifetime in seconds, 60..86400; default 3600.</summary>
    public int? TtlSeconds { get; init; }

    /// <summary>Uses allowed; absent or 0 means unlimited (1 when bound to a name).</summary>
    public int? MaxUses { get; init; }
}

/// <summary>A join token's metadata.</summary>
public sealed record JoinToken(
    Guid Id, string? NodeName, DateTimeOffset ExpiresAt, int MaxUses, int Consumed, DateTimeOffset? RevokedAt, Guid? CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A new join token: the secret (shown once) and the CA fingerprint to pin.</summary>
public sealed record CreatedJoinToken(
    Guid Id, string? NodeName, DateTimeOffset ExpiresAt, int MaxUses, DateTimeOffset CreatedAt, string Token, string CaFingerprint);

/// <summary>One use of a join token.</summary>
public sealed record JoinConsumption(Guid Id, Guid JoinTokenId, Guid NodeId, string NodeName, DateTimeOffset ConsumedAt, string? SourceIp);

/// <summary><c>POST /v1/nodes/join</c> (agent listener): redeem a token for a node certificate.</summary>
public sealed record JoinNodeRequest
{
    /// <summary>The <c>otx_join_…</c> secret.</summary>
    public string? Token { get; init; }

    /// <summary>PKCS#10 request (PEM) for the agent's key; only its public key is used.</summary>
    public string? CsrPem { get; init; }

    /// <summary>The node's name (DNS label).</summary>
    public string? NodeName { get; init; }

    /// <summary>amd64 or arm64.</summary>
    public string? Architecture { get; init; }

    /// <summary>host:port where the control plane reaches the agent's gRPC server.</summary>
    public string? AdvertisedEndpoint { get; init; }
}

/// <summary>A redeemed join token: the node's certificate and the CA.</summary>
public sealed record JoinNodeResponse(Guid NodeId, string CertPem, string CaCertPem);

/// <summary>Node view for admins and operators.</summary>
public sealed record Node(
    Guid Id, string Name, string Architecture, string AdvertisedEndpoint, string Status, bool Cordoned, DateTimeOffset? CordonedAt,
    DateTimeOffset? LastHeartbeatAt, string AgentVersion, int CpuCoresTotal, int CpuCoresAvailable, int CpuCoresEffective, long MemoryTotalMib, long MemoryAvailableMib,
    long MemoryEffectiveMib,
    long SystemDiskTotalBytes, long SystemDiskAvailableBytes, string CpuModel, string KernelVersion, string LibvirtVersion, string QemuVersion,
    string Acceleration, NodeMigration Migration, DateTimeOffset CertNotAfter, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Where other nodes reach this one for live migration.</summary>
public sealed record NodeMigration(string Host, int PortRangeStart, int PortRangeEnd);

/// <summary>Node view for developers and viewers.</summary>
public sealed record NodeSummary(Guid Id, string Name, string Architecture, string Status, bool Cordoned, DateTimeOffset CreatedAt);
