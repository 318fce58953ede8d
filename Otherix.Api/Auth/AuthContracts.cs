namespace Otherix.Api.Auth;

/// <summary><c>POST /v1/auth/login</c>.</summary>
public sealed record LoginRequest
{
    /// <summary>The user's email address (case-insensitive).</summary>
    public string? Email { get; init; }

    /// <summary>The password.</summary>
    public string? Password { get; init; }
}

/// <summary>A successful login: a short-lived HS256 JWT.</summary>
public sealed record LoginResponse(string AccessToken, string TokenType, int ExpiresIn, Users.User User);
