namespace Otherix.Api.Auth;

/// <summary>The four fixed roles; every user has exactly one.</summary>
public enum Role
{
    /// <summary>Everything, cluster-wide.</summary>
    Admin,

    /// <summary>Runs the fleet: every VM, no users or cluster settings.</summary>
    Operator,

    /// <summary>Creates VMs and manages their own.</summary>
    Developer,

    /// <summary>Reads.</summary>
    Viewer,
}
