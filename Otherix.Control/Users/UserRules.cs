using System.Net.Mail;
using Otherix.Control.Http;

namespace Otherix.Control.Users;

/// <summary>Field rules for users.</summary>
internal static class UserRules
{
    public const int MinPassword = 12;
    public const int MaxPassword = 256;

    public static string? CheckEmail(string? email) => email switch
    {
        null or "" => "is required",
        { Length: > 255 } => "must be at most 255 characters",
        _ when !Names.IsClean(email) || email.Any(char.IsWhiteSpace) || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email => "is not an email address",
        _ => null,
    };

    public static string? CheckPassword(string? password) => password switch
    {
        null => "is required",
        { Length: < MinPassword } => $"must be at least {MinPassword} characters",
        { Length: > MaxPassword } => $"must be at most {MaxPassword} characters",
        _ when !Names.IsClean(password) => "must not contain control characters",
        _ => null,
    };

    /// <summary>Throws 400 naming every field with a problem.</summary>
    public static void Require(params (string Field, string? Problem)[] checks)
    {
        var problems = checks.Where(c => c.Problem is not null).ToDictionary(c => c.Field, c => c.Problem!);
        if (problems.Count > 0)
        {
            throw ApiException.InvalidFields(problems);
        }
    }
}
