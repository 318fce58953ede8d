using Carter;
using Otherix.Api.Auth;
using Otherix.Api.Errors;
using Otherix.Control.Http;
using Otherix.Control.Store;
using Otherix.Control.Users;

namespace Otherix.Control.Auth;

/// <summary><c>POST /v1/auth/login</c>.</summary>
public sealed class AuthModule : ICarterModule
{
    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/auth/login", LoginAsync)
            .AllowAnonymousAccess()
            .Accepts<LoginRequest>("application/json")
            .Produces<LoginResponse>()
            .WithTags("auth")
            .WithSummary("Exchange email and password for an access token (HS256 JWT).");
    }

    private static async Task<IResult> LoginAsync(HttpContext context, IStateStore store, PasswordHasher hasher, AccessTokens tokens, LoginThrottle throttle, TimeProvider time)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.RetryAfter(address) is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new ApiException(
                StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, $"too many failed logins from {address}; retry in {seconds} s",
                new Dictionary<string, object?> { ["retry_after_seconds"] = seconds });
        }

        var request = await RequestBody.ReadAsync<LoginRequest>(context.Request);
        UserRules.Require(
            ("email", request.Email is null or "" ? "is required" : request.Email.Length > 255 ? "must be at most 255 characters" : null),
            ("password", request.Password is null or "" ? "is required" : request.Password.Length > UserRules.MaxPassword ? $"must be at most {UserRules.MaxPassword} characters" : null));

        var user = store.Users.FindByEmail(request.Email!);
        if (user is null)
        {
            hasher.VerifyDummy(request.Password!);
        }

        if (user is null || !hasher.Verify(request.Password!, user.PasswordHash))
        {
            throttle.Failed(address);
            throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.InvalidCredentials, "invalid email or password");
        }

        throttle.Succeeded(address);
        user.LastLoginAt = time.GetUtcNow().UtcDateTime;
        store.Users.Update(user);
        return Results.Ok(new LoginResponse(tokens.Issue(user.Id, user.Role), "Bearer", (int)tokens.Lifetime.TotalSeconds, user.ToApi()));
    }
}
