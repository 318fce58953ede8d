using System.Collections;
using System.CommandLine;
using System.Text.Json;
using Otherix.Api.Configuration;
using Otherix.Api.Json;
using Otherix.Api.Nodes;

namespace Otherix.Cli;

/// <summary>Builds the <c>otherix</c> command tree.</summary>
public static class CliApp
{
    // The options every command takes; made per command tree.
    internal sealed record Globals(Option<string?> Endpoint, Option<string?> Token, Option<string> Output, Option<string?> Cluster, Option<string?> Config, Option<bool> Debug, Option<string> RequestTimeout);

    /// <summary>The root command; <paramref name="environment"/> and <paramref name="handler"/> are for tests.</summary>
    public static RootCommand Build(IDictionary? environment = null, HttpMessageHandler? handler = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        var globals = new Globals(
            new Option<string?>("--endpoint") { Description = "Control plane URL (default: $OTHERIX_SERVER, e.g. http://localhost:8080)", Recursive = true },
            new Option<string?>("--token") { Description = "Login or otx_ API token (default: $OTHERIX_API_TOKEN)", Recursive = true },
            new Option<string>("--output", "-o")
            {
                Description = "text, table, json (the server's answer as is) or yaml (VMs and pools: a manifest); lists print a table for text",
                DefaultValueFactory = _ => "text",
                Recursive = true,
            },
            new Option<string?>("--cluster") { Description = "Use this entry of the config file instead of the current one", Recursive = true },
            new Option<string?>("--config") { Description = "Config file (default: $OTHERIX_CONFIG, else ~/.otherix/config)", Recursive = true },
            new Option<bool>(CliOutput.DebugFlag) { Description = "Print each HTTP exchange and, on errors, the stack trace (stderr)", Recursive = true },
            new Option<string>("--request-timeout") { Description = "Give up on one request after this long (request_timeout)", DefaultValueFactory = _ => "30s", Recursive = true });
        globals.Output.AcceptOnlyFromAmong("text", "table", "json", "yaml");
        var root = new RootCommand(
            "otherix: manage virtual machines on a fleet of Linux hosts through the Otherix control plane.\n" +
            "Endpoint and token: --endpoint/--token, else $OTHERIX_SERVER/$OTHERIX_API_TOKEN, else the config file's cluster.\n" +
            "Start with: otherix config add cluster --name dev --server http://localhost:8080 --login admin@otherix.local\n" +
            "Docs: docs/cli.md (guide), docs/cli-reference.md (every command's --help).");
        root.Options.Add(globals.Endpoint);
        root.Options.Add(globals.Token);
        root.Options.Add(globals.Output);
        root.Options.Add(globals.Cluster);
        root.Options.Add(globals.Config);
        root.Options.Add(globals.Debug);
        root.Options.Add(globals.RequestTimeout);
        root.Subcommands.Add(NodeCommand(globals, environment, handler));
        root.Subcommands.Add(VmCommands.Build(globals, environment, handler));
        root.Subcommands.Add(FleetCommands.PoolCommand(globals, environment, handler));
        root.Subcommands.Add(FleetCommands.ClusterCommand(globals, environment, handler));
        root.Subcommands.Add(AccountCommands.UserCommand(globals, environment, handler));
        root.Subcommands.Add(AccountCommands.TokenCommand(globals, environment, handler));
        root.Subcommands.Add(TaskCommands.Build(globals, environment, handler));
        var (create, delete) = ManifestCommands.Build(globals, environment, handler);
        root.Subcommands.Add(create);
        root.Subcommands.Add(delete);
        root.Subcommands.Add(ConfigCommands.Build(globals, environment, handler));
        root.Subcommands.Add(CompletionCommand.Build());
        root.Subcommands.Add(HelpReference.Build(() => Build(environment, handler)));
        return root;
    }

    private static Command NodeCommand(Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        var nodeName = new Option<string?>("--node-name") { Description = "Bind the token to this node name (then it is single-use)" };
        var ttl = new Option<string>("--ttl") { Description = "How long the token works, 1m..24h", DefaultValueFactory = _ => "10m" };
        var maxUses = new Option<int?>("--max-uses") { Description = "Uses allowed (0: unlimited; 1 when --node-name is given)" };
        var create = new Command("create", "Mint a join token: prints it (once) with the CA fingerprint the agent must pin.\nExample: otherix node join-token create --node-name node-a --ttl 1h") { nodeName, ttl, maxUses };
        create.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            if (!ConfigValues.TryParseDuration(parse.GetValue(ttl)!, out var duration) || duration < TimeSpan.FromMinutes(1) || duration > TimeSpan.FromHours(24))
            {
                throw new CliException($"usage: --ttl \"{parse.GetValue(ttl)}\" must be a duration from 1m to 24h, e.g. 10m or 2h");
            }

            using var client = Connect(parse, globals, environment, handler);
            var token = await client.SendAsync<CreatedJoinToken>(HttpMethod.Post, "/v1/nodes/join-tokens", new CreateJoinTokenRequest
            {
                NodeName = parse.GetValue(nodeName),
                TtlSeconds = (int)duration.TotalSeconds,
                MaxUses = parse.GetValue(maxUses),
            }, cancellationToken);
            switch (parse.GetValue(globals.Output))
            {
                case "json":
                    await stdout.WriteLineAsync(JsonSerializer.Serialize(token, ApiJson.Options));
                    return;
                case "yaml":
                    await stdout.WriteAsync(CliOutput.Yaml(JsonSerializer.Serialize(token, ApiJson.Options)));
                    return;
            }

            await stdout.WriteLineAsync($"""
                token:          {token.Token}
                ca_fingerprint: {token.CaFingerprint}
                node_name:      {token.NodeName ?? "(any)"}
                expires_at:     {token.ExpiresAt:yyyy-MM-dd'T'HH:mm:ss'Z'}
                max_uses:       {(token.MaxUses == 0 ? "unlimited" : token.MaxUses)}

                The token is shown only now. On the node, set in /etc/otherix/bootstrap.env:
                  OTHERIX_BOOTSTRAP__TOKEN={token.Token}     (or its file: OTHERIX_BOOTSTRAP__TOKEN_FILE)
                  OTHERIX_BOOTSTRAP__CA_FINGERPRINT={token.CaFingerprint}
                """);
        }));
        var joinToken = new Command("join-token", "Join tokens let new hosts join the cluster.") { create };
        var node = new Command("node", "Hosts running an agent.") { joinToken };
        FleetCommands.AddNodeCommands(node, globals, environment, handler);
        return node;
    }

    internal static ApiClient Connect(ParseResult parse, Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        // Endpoint and token are resolved independently: flag → environment → --cluster entry → current cluster.
        var endpoint = parse.GetValue(globals.Endpoint) ?? NonEmpty(environment["OTHERIX_SERVER"] as string);
        var token = parse.GetValue(globals.Token) ?? NonEmpty(environment["OTHERIX_API_TOKEN"] as string);
        if (endpoint is null || token is null)
        {
            var path = CliConfigFile.PathFor(parse.GetValue(globals.Config), environment);
            var config = CliConfigFile.Load(path, parse.InvocationConfiguration.Error);
            var named = parse.GetValue(globals.Cluster);
            var entry = named is null ? config.Find(config.CurrentCluster) : config.Find(named) ?? throw new CliException($"usage: no cluster named {named} in {path} (otherix config list)");
            endpoint ??= NonEmpty(entry?.Server);
            token ??= NonEmpty(entry?.Token);
        }

        if (endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException(endpoint is null
                ? "usage: no endpoint configured: pass --endpoint, set OTHERIX_SERVER, or run otherix config add cluster"
                : $"usage: endpoint \"{endpoint}\" is not an http:// or https:// URL");
        }

        if (token is null)
        {
            throw new CliException("usage: no token configured: pass --token, set OTHERIX_API_TOKEN (a login access token or an otx_ API token), or run otherix config add cluster");
        }

        return ClientFor(parse, globals, uri, token, handler);
    }

    /// <summary>A client for <paramref name="endpoint"/> with this command line's <c>--request-timeout</c> and <c>--debug</c>.</summary>
    internal static ApiClient ClientFor(ParseResult parse, Globals globals, Uri endpoint, string token, HttpMessageHandler? handler) =>
        ApiClient.Create(endpoint, token, handler, RequestTimeout(parse, globals), parse.GetValue(globals.Debug) ? parse.InvocationConfiguration.Error : null);

    /// <summary><c>--request-timeout</c>.</summary>
    internal static TimeSpan RequestTimeout(ParseResult parse, Globals globals) =>
        ConfigValues.TryParseDuration(parse.GetValue(globals.RequestTimeout)!, out var value) && value > TimeSpan.Zero
            ? value
            : throw new CliException($"usage: --request-timeout \"{parse.GetValue(globals.RequestTimeout)}\" is not a duration (e.g. 30s, 2m)");

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
