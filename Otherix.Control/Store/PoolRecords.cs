namespace Otherix.Control.Store;

/// <summary>One (pool name, node) instance: a directory on that node the agent keeps as a libvirt pool <c>otx-&lt;name&gt;</c>.</summary>
public sealed class PoolRecord : IKeyed
{
    /// <summary>Stable id.</summary>
    public Guid Id { get; set; }

    /// <summary><c>&lt;name&gt;@&lt;node&gt;</c>, unique.</summary>
    public string Key { get; set; } = "";

    /// <summary>The pool's name (the same name may exist on several nodes).</summary>
    public string Name { get; set; } = "";

    /// <summary>The node it lives on.</summary>
    public string NodeName { get; set; } = "";

    /// <summary>Only <c>local_dir</c> so far.</summary>
    public string Type { get; set; } = "local_dir";

    /// <summary>Absolute directory on the node.</summary>
    public string Path { get; set; } = "";

    /// <summary>pending (not yet reported by the agent), ready or failed.</summary>
    public string Status { get; set; } = "pending";

    /// <summary>Why the agent could not make it, when failed.</summary>
    public string? Error { get; set; }

    /// <summary>Size of the file system holding it.</summary>
    public long? CapacityBytes { get; set; }

    /// <summary>Free bytes there.</summary>
    public long? AvailableBytes { get; set; }

    /// <summary>When the agent last reported it.</summary>
    public DateTime? ReportedAt { get; set; }

    /// <summary>Cached images as last reported (JSON array of {name, sha256, size_bytes}).</summary>
    public string ImagesJson { get; set; } = "[]";

    /// <summary>Creation time.</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>Last change.</summary>
    public DateTime UpdatedAt { get; set; }

    /// <summary>The unique key of a (name, node) pair.</summary>
    public static string KeyOf(string name, string node) => $"{name}@{node}";
}

/// <summary>An agent's report on one of its pools.</summary>
public sealed record PoolReportRecord(string Name, string Status, string? Error, long CapacityBytes, long AvailableBytes, string ImagesJson);
