using Otherix.Api.Common;

namespace Otherix.Api.Vms;

/// <summary><c>POST /v1/vms</c>.</summary>
public sealed record CreateVmRequest
{
    /// <summary>DNS-label name, unique in the cluster.</summary>
    public string? Name { get; init; }

    /// <summary>http(s) URL of a qcow2 or raw image.</summary>
    public string? ImageUrl { get; init; }

    /// <summary>Expected SHA-256 (hex) of the image.</summary>
    public string? ImageSha256 { get; init; }

    /// <summary>amd64 or arm64.</summary>
    public string? Arch { get; init; }

    /// <summary>1..64; default 2.</summary>
    public int? Vcpus { get; init; }

    /// <summary>Memory in MiB (seed name), 64..1048576; default 2048.</summary>
    public int? MemoryMb { get; init; }

    /// <summary>Same as <see cref="MemoryMb"/> (newer name); give one of them.</summary>
    public int? MemoryMib { get; init; }

    /// <summary>Grow the disk to this size (GiB).</summary>
    public int? DiskGib { get; init; }

    /// <summary>Pool name; default: the cluster default pool.</summary>
    public string? Pool { get; init; }

    /// <summary>Place on this node.</summary>
    public string? Node { get; init; }

    /// <summary>cloud-init user-data (text, at most 64 KiB).</summary>
    public string? UserData { get; init; }

    /// <summary>A network to attach; networks are not available yet, so any value is refused.</summary>
    public string? Network { get; init; }
}

/// <summary>What a VM is doing: <c>phase</c> plus why.</summary>
public sealed record VmStatusView(string Phase, string? Reason, string? Message);

/// <summary>A VM as the API shows it.</summary>
public sealed record Vm(
    Guid Id, string Name, Guid OwnerId, string ImageUrl, string? ImageFormat, string? ImageSha256, string Pool, string Node, string Architecture,
    int Vcpus, int MemoryMb, int? DiskGib, VmStatusView Status, string DesiredPhase, Guid? LastTaskId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The <c>202</c> of a VM operation: the task to follow, and the VM.</summary>
public sealed record VmTaskAccepted(Guid TaskId, string Status, TaskLinks Links, Vm Vm);

/// <summary>A console ticket (<c>POST /v1/vms/{name}/console</c>): a single-use token and the WebSocket URL to use it with.</summary>
public sealed record ConsoleTicket(string Token, string WebsocketUrl, DateTimeOffset ExpiresAt);
