using Otherix.Api.Users;
using Otherix.Control.Store;

namespace Otherix.Control.Users;

/// <summary>Store records to API shapes.</summary>
internal static class UserMapping
{
    public static User ToApi(this UserRecord u) =>
        new(u.Id, u.Email, u.DisplayName, u.Role, Utc(u.LastLoginAt), Utc(u.CreatedAt)!.Value, Utc(u.UpdatedAt)!.Value);

    public static ApiToken ToApi(this ApiTokenRecord t) =>
        new(t.Id, t.UserId, t.Name, t.Description, t.Prefix, Utc(t.LastUsedAt), Utc(t.ExpiresAt), Utc(t.RevokedAt), Utc(t.CreatedAt)!.Value);

    public static DateTimeOffset? Utc(DateTime? value) =>
        value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}
