using System.Collections;
using System.CommandLine;
using Otherix.Api.Auth;
using Otherix.Api.Users;

namespace Otherix.Cli;

/// <summary><c>otherix config …</c>: the clusters this CLI knows (kubectl-style).</summary>
internal static class ConfigCommands
{
    public static Command Build(Func<ParseResult, string> pathOf, IDictionary environment, HttpMessageHandler? handler)
    {
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
        add.SetAction((parse, cancellationToken) => RunAsync(parse, async () =>
        {
            var path = pathOf(parse);
            var config = CliConfigFile.Load(path, parse.InvocationConfiguration.Error);
            var entryName = parse.GetValue(name) ?? throw new CliException("usage: --name is required");
            var serverUrl = parse.GetValue(server) ?? environment["OTHERIX_SERVER"] as string;
            var email = parse.GetValue(login) ?? environment["OTHERIX_LOGIN"] as string;
            var secret = parse.GetValue(password) ?? environment["OTHERIX_PASSWORD"] as string;
            var missing = new[] { (serverUrl, "--server or OTHERIX_SERVER"), (email, "--login or OTHERIX_LOGIN"), (secret, "--password or OTHERIX_PASSWORD") }
                .Where(v => string.IsNullOrEmpty(v.Item1)).Select(v => v.Item2).ToList();
            if (missing.Count > 0)
            {
                throw new CliException($"usage: missing {string.Join(", ", missing)}");
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

            using var anonymous = ApiClient.Create(uri, "", handler);
            var session = await anonymous.SendAsync<LoginResponse>(HttpMethod.Post, "/v1/auth/login", new LoginRequest { Email = email, Password = secret }, cancellationToken);
            using var client = ApiClient.Create(uri, session.AccessToken, handler);
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

            config.Clusters.RemoveAll(c => c.Name == entryName);
            config.Clusters.Add(new ClusterEntry { Name = entryName, Server = uri.ToString().TrimEnd('/'), Token = token.PlaintextToken, TokenId = token.Id.ToString() });
            if (parse.GetValue(setCurrent) || config.CurrentCluster is null)
            {
                config.CurrentCluster = entryName;
            }

            CliConfigFile.Save(path, config);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"cluster {entryName} added ({uri.ToString().TrimEnd('/')}, logged in as {session.User.Email}){(config.CurrentCluster == entryName ? "; it is the current cluster" : "")}");
        }));

        var list = new Command("list", "List the clusters in the config file.");
        list.SetAction((parse, cancellationToken) => RunAsync(parse, async () =>
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
        var use = new Command("use", "Make a cluster the current one.") { useName };
        use.SetAction((parse, cancellationToken) => RunAsync(parse, async () =>
        {
            var path = pathOf(parse);
            var config = CliConfigFile.Load(path, parse.InvocationConfiguration.Error);
            var target = parse.GetValue(useName)!;
            _ = config.Find(target) ?? throw new CliException($"usage: no cluster named {target} in {path} (otherix config list)");
            config.CurrentCluster = target;
            CliConfigFile.Save(path, config);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"current cluster: {target}");
        }));

        var showName = new Argument<string?>("name") { Description = "The cluster (default: the current one)", Arity = ArgumentArity.ZeroOrOne };
        var showToken = new Option<bool>("--show-token") { Description = "Print the token instead of masking it" };
        var show = new Command("show", "Show a cluster entry (the token masked unless --show-token).") { showName, showToken };
        show.SetAction((parse, cancellationToken) => RunAsync(parse, async () =>
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
        var remove = new Command("remove", "Forget a cluster (its API token stays valid on the server; revoke it there if needed).") { removeName, removeForce };
        remove.SetAction((parse, cancellationToken) => RunAsync(parse, async () =>
        {
            var path = pathOf(parse);
            var config = CliConfigFile.Load(path, parse.InvocationConfiguration.Error);
            var target = parse.GetValue(removeName)!;
            _ = config.Find(target) ?? throw new CliException($"usage: no cluster named {target} in {path} (otherix config list)");
            FleetCommands.Confirm(parse, removeForce, $"remove cluster {target}");

            config.Clusters.RemoveAll(c => c.Name == target);
            if (config.CurrentCluster == target)
            {
                config.CurrentCluster = null;
            }

            CliConfigFile.Save(path, config);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"cluster {target} removed");
        }));

        var addGroup = new Command("add", "Add an entry.") { add };
        return new Command("config", "The clusters this CLI talks to (~/.otherix/config).") { addGroup, list, use, show, remove };
    }

    /// <summary>Runs a command body: a <see cref="CliException"/> becomes <c>error: …</c> and exit code 1.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<Task> body)
    {
        try
        {
            await body();
            return 0;
        }
        catch (CliException e)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}
