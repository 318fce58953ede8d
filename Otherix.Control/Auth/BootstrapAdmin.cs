using System.Collections;
using Otherix.Api.Auth;
using Otherix.Control.Store;
using Otherix.Control.Users;

namespace Otherix.Control.Auth;

/// <summary>
/// The first admin, from <c>OTHERIX_BOOTSTRAP_ADMIN_EMAIL</c> + <c>OTHERIX_BOOTSTRAP_ADMIN_PASSWORD</c>:
/// created on the first start only (the store remembers it was bootstrapped, even if that user is
/// deleted later); later starts ignore the variables and say so.
/// </summary>
public sealed record BootstrapAdmin(string Email, string Password)
{
    /// <summary>Email variable.</summary>
    public const string EmailVariable = "OTHERIX_BOOTSTRAP_ADMIN_EMAIL";

    /// <summary>Password variable.</summary>
    public const string PasswordVariable = "OTHERIX_BOOTSTRAP_ADMIN_PASSWORD";

    /// <summary>Reads the pair: both set, neither set (null), else the problems.</summary>
    public static BootstrapAdmin? FromEnvironment(IDictionary environment, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(errors);
        var email = environment[EmailVariable] as string;
        var password = environment[PasswordVariable] as string;
        if (string.IsNullOrEmpty(email) && string.IsNullOrEmpty(password))
        {
            return null;
        }

        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password))
        {
            errors.Add($"{(string.IsNullOrEmpty(email) ? PasswordVariable : EmailVariable)} is set but {(string.IsNullOrEmpty(email) ? EmailVariable : PasswordVariable)} is not: set both or neither");
            return null;
        }

        if (UserRules.CheckEmail(email) is { } emailProblem)
        {
            errors.Add($"{EmailVariable}: {emailProblem}");
        }

        if (UserRules.CheckPassword(password) is { } passwordProblem)
        {
            errors.Add($"{PasswordVariable}: {passwordProblem}");
        }

        return new BootstrapAdmin(email, password);
    }
}

/// <summary>Applies <see cref="BootstrapAdmin"/> before the listeners open.</summary>
internal sealed partial class BootstrapAdminService(
    IStateStore store, PasswordHasher hasher, TimeProvider time, ILogger<BootstrapAdminService> log, BootstrapAdmin? admin = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (store.Users.IsBootstrapped())
        {
            if (admin is not null)
            {
                LogIgnored(log, BootstrapAdmin.EmailVariable, BootstrapAdmin.PasswordVariable);
            }

            return Task.CompletedTask;
        }

        if (admin is null)
        {
            LogNoAdmin(log, BootstrapAdmin.EmailVariable, BootstrapAdmin.PasswordVariable);
            return Task.CompletedTask;
        }

        var now = time.GetUtcNow();
        var user = new UserRecord
        {
            Id = Ids.New(now),
            Email = admin.Email,
            EmailKey = admin.Email.ToLowerInvariant(),
            DisplayName = "bootstrap admin",
            Role = Role.Admin,
            PasswordHash = hasher.Hash(admin.Password),
            CreatedAt = now.UtcDateTime,
            UpdatedAt = now.UtcDateTime,
        };
        if (store.Users.Bootstrap(user))
        {
            LogCreated(log, admin.Email);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "bootstrap admin {Email} created")]
    private static partial void LogCreated(ILogger logger, string email);

    [LoggerMessage(Level = LogLevel.Information, Message = "{EmailVariable}/{PasswordVariable} ignored: this store was bootstrapped on an earlier start")]
    private static partial void LogIgnored(ILogger logger, string emailVariable, string passwordVariable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "no admin yet: set {EmailVariable} and {PasswordVariable} and restart to create one")]
    private static partial void LogNoAdmin(ILogger logger, string emailVariable, string passwordVariable);
}
