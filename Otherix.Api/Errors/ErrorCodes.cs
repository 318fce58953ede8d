namespace Otherix.Api.Errors;

/// <summary>Error codes shared by the control plane, the agent and the CLI; scripts match on these.</summary>
public static class ErrorCodes
{
    /// <summary>A request field is missing or malformed.</summary>
    public const string ValidationFailed = "validation_failed";

    /// <summary>No or an invalid credential was presented.</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>The caller's role does not allow the operation.</summary>
    public const string PermissionDenied = "permission_denied";

    /// <summary>The server failed in a way the caller cannot fix.</summary>
    public const string Internal = "internal";
}
