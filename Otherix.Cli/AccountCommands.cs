using System.Collections;
using System.CommandLine;
using Otherix.Api.Auth;
using Otherix.Api.Common;
using Otherix.Api.Configuration;
using Otherix.Api.Users;

namespace Otherix.Cli;

/// <summary><c>otherix user …</c> (admins) and <c>otherix token …</c> (your own API tokens).</summary>
internal static class AccountCommands
{
    private static readonly string[] UserHeaders = ["EMAIL", "ROLE", "DISPLAY NAME", "LAST LOGIN", "AGE"];
    private static readonly string[] TokenHeaders = ["ID", "NAME", "PREFIX", "LAST USED", "EXPIRES", "REVOKED"];

    public static Command UserCommand(CliApp.Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        ApiClient Connect(ParseResult parse) => CliApp.Connect(parse, globals, environment, handler);
        async Task<User> FindAsync(ApiClient client, string email, CancellationToken ct)
        {
            var found = (await client.SendAsync<ListResponse<User>>(HttpMethod.Get, $"/v1/users?email={Uri.EscapeDataString(email)}", null, ct)).Data;
            return found.Count > 0 ? found[0] : throw new CliException($"api_error: not_found: user {email} not found");
        }

        var email = new Argument<string>("email") { Description = "The user's email" };
        var role = new Option<string>("--role") { Description = "admin, operator, developer or viewer", Required = true };
        var displayName = new Option<string?>("--display-name") { Description = "Shown next to the email" };
        var password = new Option<string?>("--password") { Description = "12+ characters (default: $OTHERIX_PASSWORD)" };
        var create = new Command("create", "Create a user (admin).\nExample: OTHERIX_PASSWORD=… otherix user create dev@example.com --role developer") { email, role, displayName, password };
        create.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            var secret = parse.GetValue(password) ?? environment["OTHERIX_PASSWORD"] as string
                ?? throw new CliException("usage: missing --password or OTHERIX_PASSWORD");
            using var client = Connect(parse);
            var user = await client.SendAsync<User>(HttpMethod.Post, "/v1/users", new CreateUserRequest
            {
                Email = parse.GetValue(email), Password = secret, DisplayName = parse.GetValue(displayName), Role = ParseRole(parse.GetValue(role)!),
            }, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"user {user.Email} created (role {Name(user.Role)})");
        }));

        var list = new Command("list", "List users (admin).\nExample: otherix user list -o json");
        list.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            if (await CliOutput.FormatAsync(parse, globals, client, "/v1/users?limit=200", ct))
            {
                return;
            }

            var page = await client.SendAsync<ListResponse<User>>(HttpMethod.Get, "/v1/users?limit=200", null, ct);
            await Table.WriteAsync(parse.InvocationConfiguration.Output, UserHeaders, page.Data.Select(u => new[]
            {
                u.Email, Name(u.Role), u.DisplayName.Length == 0 ? "-" : u.DisplayName, u.LastLoginAt is { } l ? CliOutput.Age(l) + " ago" : "never", CliOutput.Age(u.CreatedAt),
            }).ToList());
        }));

        var setRoleEmail = new Argument<string>("email") { Description = "The user's email" };
        var newRole = new Argument<string>("role") { Description = "admin, operator, developer or viewer" };
        var setRole = new Command("set-role", "Change a user's role (admin).\nExample: otherix user set-role dev@example.com operator") { setRoleEmail, newRole };
        setRole.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var user = await FindAsync(client, parse.GetValue(setRoleEmail)!, ct);
            var updated = await client.SendAsync<User>(HttpMethod.Patch, $"/v1/users/{user.Id}", new UpdateUserRequest { Role = ParseRole(parse.GetValue(newRole)!) }, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"user {updated.Email} is now {Name(updated.Role)}");
        }));

        var deleteEmail = new Argument<string>("email") { Description = "The user's email" };
        var force = new Option<bool>("--force") { Description = "Do not ask (required when stdin is not a terminal)" };
        var delete = new Command("delete", "Delete a user and revoke their API tokens (admin).\nExample: otherix user delete dev@example.com --force") { deleteEmail, force };
        delete.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            var target = parse.GetValue(deleteEmail)!;
            CliOutput.Confirm(parse, force, $"delete user {target}");
            using var client = Connect(parse);
            var user = await FindAsync(client, target, ct);
            await client.SendRawAsync(HttpMethod.Delete, $"/v1/users/{user.Id}", null, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"user {target} deleted");
        }));

        return new Command("user", "Users and their roles.") { create, list, setRole, delete };
    }

    public static Command TokenCommand(CliApp.Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        ApiClient Connect(ParseResult parse) => CliApp.Connect(parse, globals, environment, handler);
        var name = new Argument<string>("name") { Description = "A label for the token" };
        var description = new Option<string?>("--description") { Description = "Free text" };
        var expiresIn = new Option<string?>("--expires-in") { Description = "Lifetime, e.g. 30d or 12h (default: never expires)" };
        var create = new Command("create", "Create an API token for yourself; it is shown only once.\nExample: otherix token create ci --expires-in 30d") { name, description, expiresIn };
        create.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            DateTimeOffset? expires = null;
            if (parse.GetValue(expiresIn) is { } text)
            {
                expires = ConfigValues.TryParseDuration(text, out var lifetime) && lifetime > TimeSpan.Zero
                    ? DateTimeOffset.UtcNow + lifetime
                    : throw new CliException($"usage: --expires-in \"{text}\" is not a duration (e.g. 30d, 12h)");
            }

            using var client = Connect(parse);
            var token = await client.SendAsync<CreatedApiToken>(HttpMethod.Post, "/v1/users/me/api-tokens", new CreateApiTokenRequest
            {
                Name = parse.GetValue(name), Description = parse.GetValue(description), ExpiresAt = expires,
            }, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"token: {token.PlaintextToken}\nid: {token.Id}\nexpires_at: {(token.ExpiresAt is { } e ? e.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : "never")}\n\nThe token is shown only now; use it as OTHERIX_API_TOKEN or --token.");
        }));

        var includeRevoked = new Option<bool>("--include-revoked") { Description = "Also list revoked tokens" };
        var list = new Command("list", "List your API tokens.\nExample: otherix token list --include-revoked") { includeRevoked };
        list.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var path = $"/v1/users/me/api-tokens?limit=200{(parse.GetValue(includeRevoked) ? "&include_revoked=true" : "")}";
            if (await CliOutput.FormatAsync(parse, globals, client, path, ct))
            {
                return;
            }

            var page = await client.SendAsync<ListResponse<ApiToken>>(HttpMethod.Get, path, null, ct);
            await Table.WriteAsync(parse.InvocationConfiguration.Output, TokenHeaders, page.Data.Select(t => new[]
            {
                t.Id.ToString(), t.Name, t.Prefix, t.LastUsedAt is { } u ? CliOutput.Age(u) + " ago" : "never",
                t.ExpiresAt is { } e ? e.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "never", t.RevokedAt is null ? "no" : "yes",
            }).ToList());
        }));

        var id = new Argument<string>("id") { Description = "The token's id (otherix token list)" };
        var force = new Option<bool>("--force") { Description = "Do not ask (required when stdin is not a terminal)" };
        var revoke = new Command("revoke", "Revoke one of your API tokens; it stops working at once.\nExample: otherix token revoke 01a2424c-ec58-730c-9512-3c7687cac0c3 --force") { id, force };
        revoke.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            var target = parse.GetValue(id)!;
            CliOutput.Confirm(parse, force, $"revoke token {target}");
            using var client = Connect(parse);
            await client.SendRawAsync(HttpMethod.Delete, $"/v1/users/me/api-tokens/{target}", null, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"token {target} revoked");
        }));

        return new Command("token", "Your API tokens.") { create, list, revoke };
    }

    private static Role ParseRole(string text) => text switch
    {
        "admin" => Role.Admin,
        "operator" => Role.Operator,
        "developer" => Role.Developer,
        "viewer" => Role.Viewer,
        _ => throw new CliException($"usage: role \"{text}\" is not one of admin, operator, developer, viewer"),
    };

    private static string Name(Role role) => role.ToString().ToLowerInvariant();
}
