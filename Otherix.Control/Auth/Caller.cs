using Otherix.Api.Auth;
using Otherix.Control.Http;
using Otherix.Control.Store;

namespace Otherix.Control.Auth;

/// <summary>Who is calling: the signed-in user, and the API token used if any.</summary>
public sealed record Caller(UserRecord User, Guid? ApiTokenId)
{
    /// <summary>The user's id.</summary>
    public Guid UserId => User.Id;

    /// <summary>The user's role, as stored now (role changes take effect on the next request).</summary>
    public Role Role => User.Role;

    /// <summary>How far <paramref name="permission"/> reaches for this caller.</summary>
    public Scope ScopeOf(Permission permission) => RbacMatrix.ScopeOf(Role, permission);

    /// <summary>Whether this caller may act on a resource owned by <paramref name="ownerId"/> under <paramref name="permission"/>.</summary>
    public bool MayAccess(Permission permission, Guid? ownerId) => ScopeOf(permission) switch
    {
        Scope.Any => true,
        Scope.Own => ownerId == UserId,
        _ => false,
    };
}

/// <summary>Reads the <see cref="Caller"/> the authentication middleware attached.</summary>
public static class CallerExtensions
{
    private const string Key = "otherix.caller";

    /// <summary>The authenticated caller.</summary>
    /// <exception cref="InvalidOperationException">The endpoint is anonymous.</exception>
    public static Caller Caller(this HttpContext context) =>
        context?.Items[Key] as Caller ?? throw new InvalidOperationException("no caller on an anonymous endpoint");

    internal static void SetCaller(this HttpContext context, Caller caller) => context.Items[Key] = caller;

    /// <summary>404 unless the caller may act on a resource of <paramref name="ownerId"/> (never 403: no existence leak).</summary>
    public static void EnsureMayAccess(this Caller caller, Permission permission, Guid? ownerId, string what)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.MayAccess(permission, ownerId))
        {
            throw ApiException.NotFound(what);
        }
    }
}
