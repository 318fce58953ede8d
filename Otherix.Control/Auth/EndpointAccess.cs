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

    /// <summary>
    /// Only on the agent listener; the handler authenticates the caller itself (a join token in the
    /// body, or a node certificate).
    /// </summary>
    public sealed record AgentListener : EndpointAccess;
}

/// <summary>Marks an endpoint served on both listeners (probes, the CA); every other one is served on one.</summary>
public sealed record ServedOnBothListeners;

/// <summary>The ports of this process's listeners, to tell which one a request came in on.</summary>
public sealed record Listeners(int PublicPort, int? AgentPort)
{
    /// <summary>Whether <paramref name="context"/> arrived on the agent listener.</summary>
    public bool IsAgentListener(HttpContext context) => AgentPort is { } port && context?.Connection.LocalPort == port;
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

    /// <summary>Only on the agent listener, authenticated by the handler.</summary>
    public static TBuilder OnAgentListener<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new EndpointAccess.AgentListener());

    /// <summary>Also served on the agent listener.</summary>
    public static TBuilder OnBothListeners<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new ServedOnBothListeners());

    /// <summary>Signed in with a role that grants <paramref name="permission"/>.</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, Permission permission)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new EndpointAccess.Requires(permission));
}
