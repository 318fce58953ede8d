using System.Collections;
using System.CommandLine;
using Otherix.Api.Auth;
using Otherix.Api.Users;

namespace Otherix.Cli;

/// <summary><c>otherix config …</c>: the clusters this CLI knows (kubectl-style).</summary>
internal static class ConfigCommands
{
    public static Command Build(CliApp.Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        string pathOf(ParseResult parse) => CliConfigFile.PathFor(parse.GetValue(globals.Config), environment);
        var name = new Option<string?>("--name") { Description = "Name of the entry" };
        var server = new Option<string?>("--server") { Description = "Control plane URL (default: $OTHERIX_SERVER)" };
        var login = new Option<string?>("--login") { Description = "Email to log in with (default: $OTHERIX_LOGIN)" };
        var password = new Option<string?>("--password") { Description = "Password (default: $OTHERIX_PASSWORD)" };
        var setCurrent = new Option<bool>("--set-current") { Description = "Make it the current cluster", DefaultValueFactory = _ => true };
        var force = new Option<bool>("--force") { Description = "Replace an existing entry (its API token is revoked)" };
        var add = new Command("cluster", "Log in, mint a long-lived otx_ API token and store it.\nExample: otherix config add cluster --name dev --server http://localhost:8080 --login admin@otherix.local")
        {
            name, server, login, password, setCurrent, force,
        };
        add.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            var path = pathOf(parse);
            var config = CliConfigFile.Load(path, parse.InvocationConfiguration.Error);

            // Flag, then environment, then (on a terminal only) a question; the password is never echoed.
            var error = parse.InvocationConfiguration.Error;
            string? Value(Option<string?> option, string? variable, string question, bool secret = false)
            {
                var value = parse.GetValue(option) ?? (variable is null ? null : environment[variable] as string);
                if (!string.IsNullOrEmpty(value) || !Prompt.IsInteractive)
                {
                    return string.IsNullOrEmpty(value) ? null : value;
                }

                return secret ? Prompt.AskSecret(question, error) : Prompt.Ask(question, error)?.Trim();
            }

            var entryName = Value(name, null, "Name for this cluster: ");
            var serverUrl = Value(server, "OTHERIX_SERVER", "Control plane URL (e.g. http://localhost:8080): ");
            var email = Value(login, "OTHERIX_LOGIN", "Email: ");
            var secret = Value(password, "OTHERIX_PASSWORD", "Password: ", secret: true);
            var missing = new[] { (entryName, "--name"), (serverUrl, "--server or OTHERIX_SERVER"), (email, "--login or OTHERIX_LOGIN"), (secret, "--password or OTHERIX_PASSWORD") }
                .Where(v => string.IsNullOrEmpty(v.Item1)).Select(v => v.Item2).ToList();
            if (missing.Count > 0)
            {
                throw new CliException($"usage: missing {string.Join(", ", missing)}{(Prompt.IsInteractive ? "" : " (stdin is not a terminal, so nothing is asked)")}");
            }

            var existing = config.Find(entryName);
            if (existing is not null && !parse.GetValue(force))
            {
                throw new CliException($"usage: cluster {entryName} exists in {path}; --force replaces it (and revokes its token)");
            }

            if (!Uri.TryCreate(serverUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new CliException($"usage: server \"{serverUrl}\" is not an http:// or https:// URL");
            }

            using var anonymous = CliApp.ClientFor(parse, globals, uri, "", handler);
            var session = await anonymous.SendAsync<LoginResponse>(HttpMethod.Post, "/v1/auth/login", new LoginRequest { Email = email, Password = secret }, cancellationToken);
            using var client = CliApp.ClientFor(parse, globals, uri, session.AccessToken, handler);
            var token = await client.SendAsync<CreatedApiToken>(HttpMethod.Post, "/v1/users/me/api-tokens", new CreateApiTokenRequest
            {
                Name = $"otherix-cli {entryName}", Description = $"otherix config add cluster on {System.Net.Dns.GetHostName()}",
            }, cancellationToken);
            if (existing?.TokenId is { } oldId)
            {
                try
                {
                    await client.SendAsync<object?>(HttpMethod.Delete, $"/v1/users/me/api-tokens/{oldId}", null, cancellationToken);
                }
                catch (CliException)
                {
                    // Already gone, or another server: nothing to revoke there.
                }
            }

            // Under the file's lock: another otherix may have changed it while we were logging in.
            var isCurrent = CliConfigFile.Update(path, null, latest =>
            {
                latest.Clusters.RemoveAll(c => c.Name == entryName);
                latest.Clusters.Add(new ClusterEntry { Name = entryName!, Server = uri.ToString().TrimEnd('/'), Token = token.PlaintextToken, TokenId = token.Id.ToString() });
                if (parse.GetValue(setCurrent) || latest.CurrentCluster is null)
                {
                    latest.CurrentCluster = entryName;
                }

                return latest.CurrentCluster == entryName;
            });
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"cluster {entryName} added ({uri.ToString().TrimEnd('/')}, logged in as {session.User.Email}){(isCurrent ? "; it is the current cluster" : "")}");
        }));

        var list = new Command("list", "List the clusters in the config file (* marks the current one).\nExample: otherix config list");
        list.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            var config = CliConfigFile.Load(pathOf(parse), parse.InvocationConfiguration.Error);
            var width = Math.Max(4, config.Clusters.Select(c => c.Name.Length).DefaultIfEmpty(0).Max()) + 2;
            var serverWidth = Math.Max(6, config.Clusters.Select(c => c.Server.Length).DefaultIfEmpty(0).Max()) + 2;
            await parse.InvocationConfiguration.Output.WriteLineAsync($"{"NAME".PadRight(width)}{"SERVER".PadRight(serverWidth)}CURRENT");
            foreach (var cluster in config.Clusters)
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync($"{cluster.Name.PadRight(width)}{cluster.Server.PadRight(serverWidth)}{(cluster.Name == config.CurrentCluster ? "*" : "")}");
            }
        }));

        var useName = new Argument<string>("name") { Description = "The cluster to make current" };
        var use = new Command("use", "Make a cluster the current one.\nExample: otherix config use prod") { useName };
        use.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            var path = pathOf(parse);
            var target = parse.GetValue(useName)!;
            CliConfigFile.Update(path, parse.InvocationConfiguration.Error, config =>
                config.CurrentCluster = config.Find(target)?.Name ?? throw new CliException($"usage: no cluster named {target} in {path} (otherix config list)"));
            await parse.InvocationConfiguration.Output.WriteLineAsync($"current cluster: {target}");
        }));

        var showName = new Argument<string?>("name") { Description = "The cluster (default: the current one)", Arity = ArgumentArity.ZeroOrOne };
        var showToken = new Option<bool>("--show-token") { Description = "Print the token instead of masking it" };
        var show = new Command("show", "Show a cluster entry (the token masked unless --show-token).\nExample: otherix config show dev") { showName, showToken };
        show.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            var path = pathOf(parse);
            var config = CliConfigFile.Load(path, parse.InvocationConfiguration.Error);
            var target = parse.GetValue(showName) ?? config.CurrentCluster ?? throw new CliException($"usage: no current cluster in {path}; name one");
            var entry = config.Find(target) ?? throw new CliException($"usage: no cluster named {target} in {path} (otherix config list)");
            var token = parse.GetValue(showToken) ? entry.Token : entry.Token.Length > 8 ? entry.Token[..8] + "…" : "…";
            await parse.InvocationConfiguration.Output.WriteLineAsync($"name:    {entry.Name}\nserver:  {entry.Server}\ntoken:   {token}\ncurrent: {(entry.Name == config.CurrentCluster ? "yes" : "no")}");
        }));

        var removeName = new Argument<string>("name") { Description = "The cluster to forget" };
        var removeForce = new Option<bool>("--force") { Description = "Do not ask (required when stdin is not a terminal)" };
        var remove = new Command("remove", "Forget a cluster (its API token stays valid on the server; revoke it there if needed).\nExample: otherix config remove old-lab --force") { removeName, removeForce };
        remove.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            var path = pathOf(parse);
            var target = parse.GetValue(removeName)!;
            _ = CliConfigFile.Load(path, parse.InvocationConfiguration.Error).Find(target)
                ?? throw new CliException($"usage: no cluster named {target} in {path} (otherix config list)");
            CliOutput.Confirm(parse, removeForce, $"remove cluster {target}");
            CliConfigFile.Update(path, null, config =>
            {
                config.Clusters.RemoveAll(c => c.Name == target);
                return config.CurrentCluster == target ? config.CurrentCluster = null : config.CurrentCluster;
            });
            await parse.InvocationConfiguration.Output.WriteLineAsync($"cluster {target} removed");
        }));

        var addGroup = new Command("add", "Add an entry.") { add };
        return new Command("config", "The clusters this CLI talks to (~/.otherix/config).") { addGroup, list, use, show, remove };
    }
}
