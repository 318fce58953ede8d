using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Otherix.Api.Auth;
using Otherix.Api.Files;
using Otherix.Control.Configuration;

namespace Otherix.Control.Auth;

/// <summary>What checking a JWT found.</summary>
public abstract record AccessTokenCheck
{
    /// <summary>Signature and claims are good and it has not expired.</summary>
    public sealed record Valid(Guid UserId) : AccessTokenCheck;

    /// <summary>Genuine but past its <c>exp</c>.</summary>
    public sealed record Expired(DateTimeOffset ExpiredAt) : AccessTokenCheck;

    /// <summary>Not one of ours (bad signature, wrong algorithm, malformed).</summary>
    public sealed record Invalid : AccessTokenCheck;
}

/// <summary>
/// Login access tokens: HS256 JWTs with <c>sub</c> (user id), <c>role</c>, <c>iat</c>, <c>exp</c>, issuer
/// <c>otherix</c>. Only HS256 is accepted (so never <c>alg: none</c>); time comes from the injected clock.
/// </summary>
public sealed class AccessTokens
{
    private const string Issuer = "otherix";
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SymmetricSecurityKey _key;
    private readonly TimeProvider _time;
    private readonly TokenValidationParameters _validation;

    /// <summary>Creates the issuer/validator for <paramref name="secret"/>.</summary>
    public AccessTokens(byte[] secret, TimeSpan lifetime, TimeProvider time)
    {
        _key = new SymmetricSecurityKey(secret);
        _time = time;
        Lifetime = lifetime;
        _validation = new TokenValidationParameters
        {
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidIssuer = Issuer,
            ValidateAudience = false,
            ValidateLifetime = false, // checked below against the injected clock, to say "expired" precisely
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        };
    }

    /// <summary>How long an issued token lives.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>Issues a token for <paramref name="userId"/>.</summary>
    public string Issue(Guid userId, Role role)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = userId.ToString(),
                ["role"] = role.ToString().ToLowerInvariant(),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
            },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Checks a presented token.</summary>
    public async Task<AccessTokenCheck> CheckAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt ||
            !Guid.TryParse(jwt.Subject, out var userId) || !jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out var exp))
        {
            return new AccessTokenCheck.Invalid();
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(exp);
        return _time.GetUtcNow() >= expiresAt ? new AccessTokenCheck.Expired(expiresAt) : new AccessTokenCheck.Valid(userId);
    }

    /// <summary>
    /// The signing secret: <c>auth.jwt_secret</c> when set, else <c>&lt;data_dir&gt;/jwt-secret</c>, generated
    /// once (64 random bytes, file mode 0600) and reused so tokens survive restarts.
    /// </summary>
    public static byte[] LoadSecret(ApiConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Auth.JwtSecret.Length > 0)
        {
            return Encoding.UTF8.GetBytes(config.Auth.JwtSecret);
        }

        var path = Path.Combine(config.Store.DataDir, "jwt-secret");
        if (!File.Exists(path))
        {
            AtomicFile.Write(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)) + "\n", AtomicFile.OwnerOnly);
        }

        var secret = Convert.FromBase64String(File.ReadAllText(path).Trim());
        return secret.Length >= 32 ? secret : throw new InvalidOperationException($"{path} holds fewer than 32 bytes; delete it to generate a new secret");
    }
}

/// <summary>API token secrets: <c>otx_</c> + 32 random bytes in base64url; stored as SHA-256 hex.</summary>
public static class ApiTokenSecrets
{
    /// <summary>The prefix that tells API tokens from JWTs.</summary>
    public const string Prefix = "otx_";

    /// <summary>A new secret with its stored hash and display prefix.</summary>
    public static (string Plaintext, string Hash, string DisplayPrefix) Create()
    {
        var plaintext = Prefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (plaintext, HashOf(plaintext), plaintext[..8]);
    }

    /// <summary>The stored form of a presented secret.</summary>
    public static string HashOf(string plaintext) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plaintext)));
}
