using Carter;
using Otherix.Api.Common;
using Otherix.Api.Users;
using Otherix.Control.Auth;
using Otherix.Control.Http;
using Otherix.Control.Store;

namespace Otherix.Control.Users;

/// <summary>
/// API tokens: <c>/v1/users/me/api-tokens</c> for your own, <c>/v1/users/{id}/api-tokens</c> for
/// admins (others may use it with their own id; someone else's answers 404).
/// </summary>
public sealed class ApiTokensModule : ICarterModule
{
    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        foreach (var owner in new[] { "me", "{id}" })
        {
            var tokens = app.MapGroup($"/v1/users/{owner}/api-tokens").WithTags("api-tokens").RequirePermission(Permission.ApiTokenManage);
            tokens.MapPost("/", CreateAsync).Accepts<CreateApiTokenRequest>("application/json").Produces<CreatedApiToken>(StatusCodes.Status201Created)
                .WithSummary("Create an API token; plaintext_token is shown only in this answer.");
            tokens.MapGet("/", List).Produces<ListResponse<ApiToken>>().WithSummary("List API tokens (include_revoked=true to see revoked ones).");
            tokens.MapDelete("/{tokenId}", Revoke).Produces(StatusCodes.Status204NoContent).WithSummary("Revoke an API token; it stops working at once.");
        }
    }

    private static UserRecord Owner(HttpContext context, IStateStore store)
    {
        var caller = context.Caller();
        var id = context.Request.RouteValues["id"] as string;
        if (id is null)
        {
            return caller.User;
        }

        var user = UsersModule.FindUser(store, id);
        caller.EnsureMayAccess(Permission.ApiTokenManage, user.Id, $"user {id}");
        return user;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IStateStore store, TimeProvider time)
    {
        var owner = Owner(context, store);
        var request = await RequestBody.ReadAsync<CreateApiTokenRequest>(context.Request);
        var now = time.GetUtcNow();
        UserRules.Require(
            ("name", Names.CheckLabel(request.Name, 100)),
            ("description", Names.CheckText(request.Description, 255)),
            ("expires_at", request.ExpiresAt is { } e && e <= now ? "must be in the future" : null));
        var (plaintext, hash, prefix) = ApiTokenSecrets.Create();
        var record = new ApiTokenRecord
        {
            Id = Ids.New(now),
            UserId = owner.Id,
            Name = request.Name!,
            Description = request.Description ?? "",
            Prefix = prefix,
            Hash = hash,
            ExpiresAt = request.ExpiresAt?.UtcDateTime,
            CreatedAt = now.UtcDateTime,
        };
        store.ApiTokens.Insert(record);
        var created = new CreatedApiToken(
            record.Id, owner.Id, record.Name, record.Description, prefix, UserMapping.Utc(record.ExpiresAt), UserMapping.Utc(record.CreatedAt)!.Value, plaintext);
        return Results.Created($"/v1/users/{owner.Id}/api-tokens/{record.Id}", created);
    }

    private static IResult List(HttpContext context, IStateStore store)
    {
        var owner = Owner(context, store);
        var paging = Paging.From(context.Request);
        var includeRevoked = context.Request.Query["include_revoked"].FirstOrDefault() switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw ApiException.Validation("include_revoked must be true or false"),
        };
        return Results.Ok(Paging.Response(store.ApiTokens.List(owner.Id, includeRevoked, paging.After, paging.Limit), UserMapping.ToApi));
    }

    private static IResult Revoke(string tokenId, HttpContext context, IStateStore store, TimeProvider time)
    {
        var owner = Owner(context, store);
        var id = UsersModule.ParseId(tokenId, "API token");
        var token = store.ApiTokens.Find(id);
        if (token is null || token.UserId != owner.Id)
        {
            throw ApiException.NotFound($"API token {tokenId}");
        }

        store.ApiTokens.Revoke(id, time.GetUtcNow().UtcDateTime);
        return Results.NoContent();
    }
}
