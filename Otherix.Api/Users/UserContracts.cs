using Otherix.Api.Auth;

namespace Otherix.Api.Users;

/// <summary>A user as the API shows it (never the password hash).</summary>
public sealed record User(
    Guid Id, string Email, string DisplayName, Role Role, DateTimeOffset? LastLoginAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary><c>POST /v1/users</c>.</summary>
public sealed record CreateUserRequest
{
    /// <summary>Login name; unique, case-insensitive.</summary>
    public string? Email { get; init; }

    /// <summary>12 to 256 characters.</summary>
    public string? Password { get; init; }

    /// <summary>Free text shown next to the email; default empty.</summary>
    public string? DisplayName { get; init; }

    /// <summary>admin, operator, developer or viewer.</summary>
    public Role? Role { get; init; }
}

/// <summary><c>PATCH /v1/users/{id}</c> and <c>PATCH /v1/users/me</c>; absent fields stay as they are.</summary>
public sealed record UpdateUserRequest
{
    /// <summary>New display name.</summary>
    public string? DisplayName { get; init; }

    /// <summary>New password, 12 to 256 characters.</summary>
    public string? Password { get; init; }

    /// <summary>New role (admins only, and never on <c>/users/me</c>).</summary>
    public Role? Role { get; init; }
}

/// <summary>An API token's metadata; the secret is never shown again after creation.</summary>
public sealed record ApiToken(
    Guid Id, Guid UserId, string Name, string Description, string Prefix,
    DateTimeOffset? LastUsedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset CreatedAt);

/// <summary><c>POST /v1/users/me/api-tokens</c>.</summary>
public sealed record CreateApiTokenRequest
{
    /// <summary>1 to 100 characters: letters, digits, space, '.', '_', '-'.</summary>
    public string? Name { get; init; }

    /// <summary>Optional free text, up to 255 characters.</summary>
    public string? Description { get; init; }

    /// <summary>Optional expiry; absent means the token never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>A new API token: its metadata plus the secret, shown this once.</summary>
public sealed record CreatedApiToken(
    Guid Id, Guid UserId, string Name, string Description, string Prefix,
    DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt, string PlaintextToken);
