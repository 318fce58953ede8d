using Otherix.Agent.Images;

namespace Otherix.Agent.Driver;

/// <summary>Where the agent keeps its state on the host.</summary>
public sealed record AgentPaths(string StateDirectory)
{
    /// <summary>The production layout: <c>/var/lib/otherix</c>.</summary>
    public static AgentPaths Default { get; } = new("/var/lib/otherix");

    /// <summary>One directory per VM (<c>vms/&lt;vm-uuid&gt;/</c>): the console log and anything else of the VM's that is not a libvirt volume.</summary>
    public string VmsDirectory => Path.Combine(StateDirectory, "vms");

    /// <summary>The directory of one VM.</summary>
    public string VmDirectory(Guid id) => Path.Combine(VmsDirectory, id.ToString("D"));
}

/// <summary>An Otherix storage pool on this host.</summary>
public sealed record PoolSpec(string Name, string Path);

/// <summary>A pool's figures and image cache.</summary>
public sealed record PoolStatus(string Name, string LibvirtName, string Path, ulong CapacityBytes, ulong AllocationBytes, ulong AvailableBytes, IReadOnlyList<CachedImage> Images);

/// <summary>What a VM is made from.</summary>
public sealed record VmSpec(
    Guid Id,
    string Name,
    string Pool,
    string ImageUrl,
    string? ImageChecksum = null,
    string Arch = "x86_64",
    int Vcpus = 1,
    int MemoryMib = 512,
    int? DiskGib = null,
    string? UserData = null,
    string? NetworkConfig = null,
    string Owner = "");

/// <summary>A VM's state as libvirt reports it, or <see cref="Missing"/> when its domain is gone.</summary>
public enum VmState
{
    /// <summary>Defined, not running.</summary>
    Stopped,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Paused (by request, or by the hypervisor: see the reason).</summary>
    Paused,

    /// <summary>Shutting down.</summary>
    ShuttingDown,

    /// <summary>Crashed.</summary>
    Crashed,

    /// <summary>The agent knows the VM but libvirt has no domain for it (removed behind Otherix's back).</summary>
    Missing,
}

/// <summary>What the driver knows of a VM.</summary>
public sealed record VmStatus(Guid Id, string Name, string DomainName, VmState State, string Reason, string? Pool, string? DomainType);

/// <summary>A lifecycle operation on an existing VM.</summary>
public enum VmAction
{
    /// <summary>Boot a stopped VM.</summary>
    Start,

    /// <summary>ACPI shutdown, waited for with a timeout.</summary>
    Stop,

    /// <summary>Pull the plug.</summary>
    Poweroff,

    /// <summary>Ask the guest to reboot.</summary>
    Reboot,

    /// <summary>Pause the vCPUs.</summary>
    Pause,

    /// <summary>Resume a paused VM.</summary>
    Resume,

    /// <summary>Hardware reset.</summary>
    Reset,
}

/// <summary>The driver's error codes (the image codes are in <see cref="ImageErrorCodes"/>).</summary>
public static class DriverErrorCodes
{
    /// <summary>The operation does not apply in the VM's current state; nothing was changed.</summary>
    public const string InvalidState = "invalid_state";

    /// <summary>No such VM on this host.</summary>
    public const string VmNotFound = "vm_not_found";

    /// <summary>The VM id or name is taken by another VM.</summary>
    public const string VmConflict = "vm_conflict";

    /// <summary>No such pool on this host.</summary>
    public const string PoolNotFound = "pool_not_found";

    /// <summary>The pool still holds VM disks.</summary>
    public const string PoolInUse = "pool_in_use";

    /// <summary>QEMU could not be started, neither with KVM nor with TCG.</summary>
    public const string QemuSpawnFailed = "qemu_spawn_failed";

    /// <summary>The requested disk is smaller than the image.</summary>
    public const string DiskTooSmall = "disk_too_small";

    /// <summary>The guest did not power off within the stop timeout.</summary>
    public const string StopTimeout = "stop_timeout";

    /// <summary>A piece of the VM (domain, volume, directory) could not be removed.</summary>
    public const string DeleteFailed = "delete_failed";

    /// <summary>Another console session is attached to the VM.</summary>
    public const string ConsoleBusy = "console_busy";

    /// <summary>A request field is invalid.</summary>
    public const string ValidationFailed = "validation_failed";
}

/// <summary>A driver operation failed; <see cref="Code"/> is one of <see cref="DriverErrorCodes"/> or <see cref="ImageErrorCodes"/>.</summary>
public sealed class VmDriverException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The stable error code.</summary>
    public string Code { get; } = code;
}
