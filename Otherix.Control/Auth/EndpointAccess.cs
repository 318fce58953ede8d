namespace Otherix.Control.Auth;

/// <summary>Endpoint metadata saying who may call it; every endpoint carries exactly one (a test checks).</summary>
public abstract record EndpointAccess
{
    /// <summary>No credential needed (login, probes, the OpenAPI document).</summary>
    public sealed record Anonymous : EndpointAccess;

    /// <summary>Any signed-in user, whatever the role (their own profile).</summary>
    public sealed record Authenticated : EndpointAccess;

    /// <summary>A signed-in user whose role grants <paramref name="Permission"/>.</summary>
    public sealed record Requires(Permission Permission) : EndpointAccess;
}

/// <summary>Declares an endpoint's access rule.</summary>
public static class EndpointAccessExtensions
{
    /// <summary>Open to everyone.</summary>
    public static TBuilder AllowAnonymousAccess<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new EndpointAccess.Anonymous());

    /// <summary>Any signed-in user.</summary>
    public static TBuilder RequireSignIn<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new EndpointAccess.Authenticated());

    /// <summary>Signed in with a role that grants <paramref name="permission"/>.</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, Permission permission)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new EndpointAccess.Requires(permission));
}
