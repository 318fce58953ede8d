namespace Otherix.Control.Store;

/// <summary>A VM: what was asked for (spec), where it was placed, and what was last observed.</summary>
public sealed class VmRecord : IKeyed
{
    /// <summary>Stable id; also the libvirt domain UUID.</summary>
    public Guid Id { get; set; }

    /// <summary>DNS-label name, unique in the cluster.</summary>
    public string Name { get; set; } = "";

    /// <summary>Who created it.</summary>
    public Guid OwnerId { get; set; }

    /// <summary>Where the disk image comes from.</summary>
    public string ImageUrl { get; set; } = "";

    /// <summary>qcow2 or raw, once the agent has the image.</summary>
    public string? ImageFormat { get; set; }

    /// <summary>Expected SHA-256 of the image, if given.</summary>
    public string? ImageSha256 { get; set; }

    /// <summary>amd64 or arm64.</summary>
    public string Architecture { get; set; } = "";

    /// <summary>Virtual CPUs.</summary>
    public int Vcpus { get; set; }

    /// <summary>Memory.</summary>
    public int MemoryMib { get; set; }

    /// <summary>Disk size, when larger than the image.</summary>
    public int? DiskGib { get; set; }

    /// <summary>cloud-init user-data.</summary>
    public string? UserData { get; set; }

    /// <summary>The pool holding its disk.</summary>
    public string Pool { get; set; } = "";

    /// <summary>The node it runs on.</summary>
    public string Node { get; set; } = "";

    /// <summary>pending, creating, running, stopped, paused, crashed, error, deleting, gone.</summary>
    public string Phase { get; set; } = "pending";

    /// <summary>Why it is in that phase (an error code or a state reason).</summary>
    public string? Reason { get; set; }

    /// <summary>For people.</summary>
    public string? Message { get; set; }

    /// <summary>running, stopped or deleted: what the user last asked for.</summary>
    public string DesiredPhase { get; set; } = "running";

    /// <summary>The last task that acted on it.</summary>
    public Guid? LastTaskId { get; set; }

    /// <summary>Creation time.</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>Last change.</summary>
    public DateTime UpdatedAt { get; set; }
}

/// <summary>Filters for listing VMs; null means any.</summary>
public sealed record VmFilter(string? Pool = null, string? Node = null, string? Phase = null, Guid? Owner = null);
