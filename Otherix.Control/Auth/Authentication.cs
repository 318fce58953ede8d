using System.Globalization;
using Otherix.Api.Errors;
using Otherix.Control.Http;
using Otherix.Control.Store;

namespace Otherix.Control.Auth;

/// <summary>
/// Authenticates every non-anonymous endpoint (<c>Bearer &lt;jwt&gt;</c> or <c>Bearer otx_…</c>) and enforces
/// the endpoint's <see cref="EndpointAccess"/>: 401 unauthenticated / token_revoked, 403 permission_denied
/// with <c>details.required</c>. Own-scope checks are the handlers' (they answer 404).
/// </summary>
internal static class Authentication
{
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    public static IApplicationBuilder UseOtherixAuth(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var endpoint = context.GetEndpoint();
        var access = endpoint?.Metadata.GetMetadata<EndpointAccess>();
        if (endpoint is not null)
        {
            // Each listener serves its own routes: the agent listener no user API, the public one no join or heartbeat.
            var onAgentListener = context.RequestServices.GetRequiredService<Listeners>().IsAgentListener(context);
            var servedHere = endpoint.Metadata.GetMetadata<ServedOnBothListeners>() is not null || (access is EndpointAccess.AgentListener) == onAgentListener;
            if (!servedHere)
            {
                throw ApiException.NotFound($"{context.Request.Method} {context.Request.Path} on this listener");
            }
        }

        if (access is null or EndpointAccess.Anonymous or EndpointAccess.AgentListener)
        {
            // No endpoint: the router answers 404/405. An endpoint without a rule is a bug the RBAC test catches.
            await next(context);
            return;
        }

        var caller = await AuthenticateAsync(context);
        if (access is EndpointAccess.Requires { Permission: var permission } && caller.ScopeOf(permission) == Scope.None)
        {
            var name = RbacMatrix.NameOf(permission);
            throw new ApiException(
                StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, $"role {caller.Role.ToString().ToLowerInvariant()} lacks permission {name}",
                new Dictionary<string, object?> { ["required"] = name });
        }

        context.SetCaller(caller);
        await next(context);
    });

    private static async Task<Caller> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            throw Unauthenticated(context, "missing credentials: send Authorization: Bearer <token> (a login access token or an otx_ API token)");
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            throw Unauthenticated(context, "unsupported Authorization scheme: use Bearer <token>");
        }

        var token = header[7..].Trim();
        var services = context.RequestServices;
        var store = services.GetRequiredService<IStateStore>();
        var time = services.GetRequiredService<TimeProvider>();
        if (token.StartsWith(ApiTokenSecrets.Prefix, StringComparison.Ordinal))
        {
            var record = store.ApiTokens.FindByHash(ApiTokenSecrets.HashOf(token)) ?? throw Unauthenticated(context, "unknown API token");
            var now = time.GetUtcNow().UtcDateTime;
            if (record.RevokedAt is not null)
            {
                throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.TokenRevoked, $"API token {record.Prefix}… was revoked");
            }

            if (record.ExpiresAt is { } expires && expires <= now)
            {
                throw Unauthenticated(context, $"API token {record.Prefix}… expired at {Format(expires)}");
            }

            var owner = store.Users.Find(record.UserId) ?? throw Unauthenticated(context, "the API token's user no longer exists");
            if (record.LastUsedAt is not { } used || now - used >= TouchEvery)
            {
                store.ApiTokens.Touch(record.Id, now);
            }

            return new Caller(owner, record.Id);
        }

        var check = await services.GetRequiredService<AccessTokens>().CheckAsync(token);
        return check switch
        {
            AccessTokenCheck.Valid valid => new Caller(store.Users.Find(valid.UserId) ?? throw Unauthenticated(context, "the token's user no longer exists"), null),
            AccessTokenCheck.Expired expired => throw Unauthenticated(context, $"access token expired at {Format(expired.ExpiredAt.UtcDateTime)}; log in again or use an otx_ API token"),
            _ => throw Unauthenticated(context, "invalid access token"),
        };
    }

    private static ApiException Unauthenticated(HttpContext context, string message)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, message);
    }

    private static string Format(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
