using Carter;
using Otherix.Api.Auth;
using Otherix.Api.Common;
using Otherix.Api.Errors;
using Otherix.Api.Users;
using Otherix.Control.Auth;
using Otherix.Control.Http;
using Otherix.Control.Store;

namespace Otherix.Control.Users;

/// <summary><c>/v1/users</c> (admins manage, operators read) and <c>/v1/users/me</c> (everyone, their own).</summary>
public sealed class UsersModule : ICarterModule
{
    // Check-then-write rules ("keep one admin") run one at a time.
    private static readonly Lock AdminRule = new();
    private static readonly string[] RoleField = ["role"];

    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/v1/users").WithTags("users");
        users.MapGet("/me", (HttpContext context) => Results.Ok(context.Caller().User.ToApi()))
            .RequireSignIn().Produces<User>().WithSummary("The signed-in user.");
        users.MapPatch("/me", UpdateMeAsync)
            .RequireSignIn().Accepts<UpdateUserRequest>("application/json").Produces<User>()
            .WithSummary("Change your display name or password (not your role).");
        users.MapGet("/", List)
            .RequirePermission(Permission.UserRead).Produces<ListResponse<User>>().WithSummary("List users (filter: email).");
        users.MapGet("/{id}", (string id, IStateStore store) => Results.Ok(FindUser(store, id).ToApi()))
            .RequirePermission(Permission.UserRead).Produces<User>().WithSummary("One user.");
        users.MapPost("/", CreateAsync)
            .RequirePermission(Permission.UserManage).Accepts<CreateUserRequest>("application/json").Produces<User>(StatusCodes.Status201Created)
            .WithSummary("Create a user.");
        users.MapPatch("/{id}", UpdateAsync)
            .RequirePermission(Permission.UserManage).Accepts<UpdateUserRequest>("application/json").Produces<User>()
            .WithSummary("Change a user's display name, password or role.");
        users.MapDelete("/{id}", Delete)
            .RequirePermission(Permission.UserManage).Produces(StatusCodes.Status204NoContent)
            .WithSummary("Delete a user and revoke all their API tokens.");
    }

    /// <summary>Parses a user id path segment and loads the live user, else 400/404.</summary>
    internal static UserRecord FindUser(IStateStore store, string id) =>
        store.Users.Find(ParseId(id, "user")) ?? throw ApiException.NotFound($"user {id}");

    /// <summary>Parses a UUID path segment.</summary>
    internal static Guid ParseId(string id, string what) =>
        Guid.TryParse(id, out var guid) ? guid : throw ApiException.Validation($"{what} id \"{Truncate(id)}\" is not a UUID");

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private static IResult List(HttpContext context, IStateStore store)
    {
        var paging = Paging.From(context.Request);
        var email = context.Request.Query["email"].FirstOrDefault();
        return Results.Ok(Paging.Response(store.Users.List(email, paging.After, paging.Limit), UserMapping.ToApi));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IStateStore store, PasswordHasher hasher, TimeProvider time)
    {
        var request = await RequestBody.ReadAsync<CreateUserRequest>(context.Request);
        UserRules.Require(
            ("email", UserRules.CheckEmail(request.Email)),
            ("password", UserRules.CheckPassword(request.Password)),
            ("display_name", Names.CheckText(request.DisplayName, 255)),
            ("role", request.Role is null ? "is required (admin, operator, developer or viewer)" : null));
        var now = time.GetUtcNow().UtcDateTime;
        var user = new UserRecord
        {
            Id = Ids.New(time.GetUtcNow()),
            Email = request.Email!,
            EmailKey = request.Email!.ToLowerInvariant(),
            DisplayName = request.DisplayName ?? "",
            Role = request.Role!.Value,
            PasswordHash = hasher.Hash(request.Password!),
            CreatedAt = now,
            UpdatedAt = now,
        };
        try
        {
            store.Users.Insert(user);
        }
        catch (DuplicateKeyException)
        {
            throw ApiException.Conflict("duplicate", $"a user with email {request.Email} exists");
        }

        return Results.Created($"/v1/users/{user.Id}", user.ToApi());
    }

    private static async Task<IResult> UpdateMeAsync(HttpContext context, IStateStore store, PasswordHasher hasher, TimeProvider time)
    {
        var request = await RequestBody.ReadAsync<UpdateUserRequest>(context.Request);
        if (request.Role is not null)
        {
            throw new ApiException(
                StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, "you cannot change your own role",
                new Dictionary<string, object?> { ["forbidden_fields"] = RoleField });
        }

        var user = context.Caller().User;
        return Results.Ok(Apply(store, hasher, time, user, request).ToApi());
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext context, IStateStore store, PasswordHasher hasher, TimeProvider time)
    {
        var user = FindUser(store, id);
        var request = await RequestBody.ReadAsync<UpdateUserRequest>(context.Request);
        if (request.Role is { } role && role != user.Role && user.Id == context.Caller().UserId)
        {
            throw ApiException.Conflict("self", "you cannot change your own role; ask another admin");
        }

        return Results.Ok(Apply(store, hasher, time, user, request).ToApi());
    }

    private static UserRecord Apply(IStateStore store, PasswordHasher hasher, TimeProvider time, UserRecord user, UpdateUserRequest request)
    {
        UserRules.Require(
            ("password", request.Password is null ? null : UserRules.CheckPassword(request.Password)),
            ("display_name", Names.CheckText(request.DisplayName, 255)));
        var hash = request.Password is null ? null : hasher.Hash(request.Password); // slow: outside the lock
        lock (AdminRule)
        {
            var current = store.Users.Find(user.Id) ?? throw ApiException.NotFound($"user {user.Id}");
            if (request.Role is { } role && current.Role == Role.Admin && role != Role.Admin && CountAdmins(store) <= 1)
            {
                throw ApiException.Conflict("last_admin", "this is the last admin; make another user admin first");
            }

            current.DisplayName = request.DisplayName ?? current.DisplayName;
            current.Role = request.Role ?? current.Role;
            current.PasswordHash = hash ?? current.PasswordHash;
            current.UpdatedAt = time.GetUtcNow().UtcDateTime;
            return store.Users.Update(current) ? current : throw ApiException.NotFound($"user {user.Id}");
        }
    }

    private static IResult Delete(string id, HttpContext context, IStateStore store, TimeProvider time)
    {
        var user = FindUser(store, id);
        if (user.Id == context.Caller().UserId)
        {
            throw ApiException.Conflict("self", "you cannot delete yourself");
        }

        lock (AdminRule)
        {
            if (user.Role == Role.Admin && CountAdmins(store) <= 1)
            {
                throw ApiException.Conflict("last_admin", "this is the last admin");
            }

            return store.Users.Delete(user.Id, time.GetUtcNow().UtcDateTime) ? Results.NoContent() : throw ApiException.NotFound($"user {id}");
        }
    }

    private static int CountAdmins(IStateStore store) => store.Users.CountByRole(Role.Admin);
}
