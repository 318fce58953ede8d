using System.Collections;
using System.CommandLine;
using Otherix.Api.Common;
using Otherix.Api.Nodes;
using Otherix.Api.Pools;

namespace Otherix.Cli;

/// <summary><c>otherix node|pool|cluster …</c>: the fleet's nodes, storage pools and cluster settings.</summary>
internal static class FleetCommands
{
    private static readonly string[] NodeHeaders = ["NAME", "ARCHITECTURE", "STATUS", "CORDONED", "AGE"];
    private static readonly Dictionary<string, string> EffectiveOf = new()
    {
        ["cpu_cores_available"] = "cpu_cores_effective",
        ["memory_available_mib"] = "memory_effective_mib",
    };

    private static readonly string[] PoolHeaders = ["NAME", "NODE", "TYPE", "PATH", "STATUS", "AVAILABLE", "DEFAULT", "AGE"];

    /// <summary>Adds list/get/cordon/uncordon to the existing <paramref name="node"/> group.</summary>
    public static void AddNodeCommands(Command node, CliApp.Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        ApiClient Connect(ParseResult parse) => CliApp.Connect(parse, globals, environment, handler);
        var architecture = new Option<string?>("--architecture") { Description = "amd64 or arm64" };
        var status = new Option<string?>("--status") { Description = "pending, ready or unreachable" };
        var list = new Command("list", "List nodes.\nExample: otherix node list --status ready") { architecture, status };
        var nodePaging = ListPaging.AddTo(list);
        list.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var query = string.Join("&", new[] { ("architecture", parse.GetValue(architecture)), ("status", parse.GetValue(status)) }
                .Where(q => q.Item2 is not null).Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}").Prepend(nodePaging.Query(parse)));
            if (await CliOutput.FormatAsync(parse, globals, client, $"/v1/nodes?{query}", ct))
            {
                return;
            }

            var page = await client.SendAsync<ListResponse<NodeSummary>>(HttpMethod.Get, $"/v1/nodes?{query}", null, ct);
            await nodePaging.WriteAsync(parse, NodeHeaders,
                page.Data.Select(n => (n.Id, new[] { n.Name, n.Architecture, n.Status, n.Cordoned ? "yes" : "no", CliOutput.Age(n.CreatedAt) })), page.Meta.NextCursor);
        }));
        node.Subcommands.Add(list);

        var getName = new Argument<string>("name") { Description = "Node name" };
        var get = new Command("get", "Show one node (hardware and versions for admins and operators).\nExample: otherix node get node-a") { getName };
        get.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var path = $"/v1/nodes/{parse.GetValue(getName)}";
            if (await CliOutput.FormatAsync(parse, globals, client, path, ct))
            {
                return;
            }

            var raw = await client.SendRawAsync(HttpMethod.Get, path, null, ct);
            using var document = System.Text.Json.JsonDocument.Parse(raw);
            var node = document.RootElement;
            foreach (var property in node.EnumerateObject().Where(p => !EffectiveOf.ContainsValue(p.Name)))
            {
                // The seed's "(effective N free)": what VMs placed since the last heartbeat will take.
                var suffix = EffectiveOf.TryGetValue(property.Name, out var effectiveName) && node.TryGetProperty(effectiveName, out var effective)
                    && effective.TryGetInt64(out var e) && property.Value.TryGetInt64(out var available) && e < available
                        ? $" (effective {e} free)"
                        : "";
                await parse.InvocationConfiguration.Output.WriteLineAsync($"{property.Name}: {property.Value}{suffix}");
            }
        }));
        node.Subcommands.Add(get);

        foreach (var verb in new[] { "cordon", "uncordon" })
        {
            var name = new Argument<string>("name") { Description = "Node name" };
            var command = new Command(verb, verb == "cordon" ? "Place no new VMs on a node.\nExample: otherix node cordon node-a" : "Place VMs on a node again.\nExample: otherix node uncordon node-a") { name };
            command.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
            {
                using var client = Connect(parse);
                var result = await client.SendAsync<Node>(HttpMethod.Post, $"/v1/nodes/{parse.GetValue(name)}/{verb}", null, ct);
                await parse.InvocationConfiguration.Output.WriteLineAsync($"node {result.Name} {(result.Cordoned ? "cordoned" : "uncordoned")}");
            }));
            node.Subcommands.Add(command);
        }
    }

    /// <summary><c>otherix pool …</c>.</summary>
    public static Command PoolCommand(CliApp.Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        ApiClient Connect(ParseResult parse) => CliApp.Connect(parse, globals, environment, handler);
        var pool = new Command("pool", "Storage pools (one instance per node).");
        var nodeFilter = new Option<string?>("--node") { Description = "Only this node's instances" };
        var list = new Command("list", "List pool instances.\nExample: otherix pool list --node node-a") { nodeFilter };
        var poolPaging = ListPaging.AddTo(list);
        list.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var path = $"/v1/storage-pools?{poolPaging.Query(parse)}{(parse.GetValue(nodeFilter) is { } n ? $"&node={Uri.EscapeDataString(n)}" : "")}";
            if (await CliOutput.FormatAsync(parse, globals, client, path, ct, Manifests.OfPools))
            {
                return;
            }

            var page = await client.SendAsync<ListResponse<StoragePool>>(HttpMethod.Get, path, null, ct);
            await poolPaging.WriteAsync(parse, PoolHeaders, page.Data.Select(p => (p.Id, new[]
            {
                p.Name, p.Node, p.Type, p.Path, p.ReconciliationStatus, Available(p), p.IsClusterDefault ? "yes" : "", CliOutput.Age(p.CreatedAt),
            })), page.Meta.NextCursor);
        }));
        pool.Subcommands.Add(list);

        var getId = new Argument<string>("name") { Description = "Pool name, or an instance's UUID" };
        var get = new Command("get", "Show a pool (all its instances) or one instance by UUID.\nExample: otherix pool get fast-ssd -o yaml") { getId };
        get.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var id = parse.GetValue(getId)!;
            var output = parse.InvocationConfiguration.Output;
            if (await CliOutput.FormatAsync(parse, globals, client, $"/v1/storage-pools/{id}", ct, Manifests.OfPools))
            {
                return;
            }

            if (Guid.TryParse(id, out _))
            {
                var p = await client.SendAsync<StoragePool>(HttpMethod.Get, $"/v1/storage-pools/{id}", null, ct);
                await output.WriteLineAsync($"id: {p.Id}\nname: {p.Name}\nnode: {p.Node}\ntype: {p.Type}\npath: {p.Path}\nstatus: {p.ReconciliationStatus}{(p.ReconciliationError is { } e ? $" ({e})" : "")}\navailable: {(Available(p))}\nis_cluster_default: {p.IsClusterDefault}\nimages:");
                foreach (var image in p.Images)
                {
                    await output.WriteLineAsync($"  - {image.Name} sha256:{image.Sha256} {CliOutput.Bytes(image.SizeBytes)}");
                }

                return;
            }

            var view = await client.SendAsync<PoolConceptView>(HttpMethod.Get, $"/v1/storage-pools/{id}", null, ct);
            await output.WriteLineAsync($"name: {view.Name}\ntype: {view.Type}\nis_cluster_default: {view.IsClusterDefault}\ninstances:");
            foreach (var p in view.Instances)
            {
                await output.WriteLineAsync($"  - node: {p.Node}\n    id: {p.Id}\n    path: {p.Path}\n    status: {p.ReconciliationStatus}\n    available: {(Available(p))}");
            }
        }));
        pool.Subcommands.Add(get);

        var createName = new Argument<string>("name") { Description = "Pool name" };
        var createNode = new Option<string>("--node") { Description = "The node", Required = true };
        var createPath = new Option<string>("--path") { Description = "Directory on the node, under storage_pools.allowed_path_prefixes", Required = true };
        var create = new Command("create", "Register a pool on a node (admin); its agent creates it.\nExample: otherix pool create fast-ssd --node node-a --path /var/lib/otherix/pools/fast")
        {
            createName, createNode, createPath,
        };
        create.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var p = await client.SendAsync<StoragePool>(HttpMethod.Post, "/v1/storage-pools", new CreatePoolRequest
            {
                Name = parse.GetValue(createName), Node = parse.GetValue(createNode), Path = parse.GetValue(createPath), Type = "local_dir",
            }, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"pool {p.Name} created on node {p.Node}\ntype: {p.Type}\npath: {p.Path}");
        }));
        pool.Subcommands.Add(create);

        var deleteName = new Argument<string>("name") { Description = "Pool name or instance UUID" };
        var deleteNode = new Option<string?>("--node") { Description = "Which node's instance (when the name is on several)" };
        var force = new Option<bool>("--force") { Description = "Do not ask (required when stdin is not a terminal)" };
        var delete = new Command("delete", "Remove a pool instance (refused while VM disks use it).\nExample: otherix pool delete fast-ssd --node node-a --force") { deleteName, deleteNode, force };
        delete.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            var name = parse.GetValue(deleteName)!;
            CliOutput.Confirm(parse, force, $"delete pool {name}");
            using var client = Connect(parse);
            await client.SendRawAsync(HttpMethod.Delete, $"/v1/storage-pools/{name}{(parse.GetValue(deleteNode) is { } n ? $"?node={Uri.EscapeDataString(n)}" : "")}", null, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"pool {name} deleted");
        }));
        pool.Subcommands.Add(delete);

        var scanName = new Argument<string>("name") { Description = "Pool name or instance UUID" };
        var scan = new Command("scan", "Refresh a pool's figures and image list now.\nExample: otherix pool scan fast-ssd") { scanName };
        scan.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var accepted = await client.SendAsync<TaskAccepted>(HttpMethod.Post, $"/v1/storage-pools/{parse.GetValue(scanName)}/scan", null, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"scan task={accepted.TaskId} status={accepted.Status}");
        }));
        pool.Subcommands.Add(scan);
        return pool;
    }

    /// <summary>
    /// <c>80.0GiB</c>, with the seed's <c>(effective 70.0GiB free)</c> suffix while VM disks placed on
    /// the pool since its last report are not in that figure yet.
    /// </summary>
    internal static string Available(StoragePool p) => p.AvailableBytes switch
    {
        null => "-",
        { } a when p.AvailableBytesEffective is { } e && e < a => $"{CliOutput.Bytes(a)} (effective {CliOutput.Bytes(Math.Max(0, e))} free)",
        { } a => CliOutput.Bytes(a),
    };

    /// <summary><c>otherix cluster …</c>.</summary>
    public static Command ClusterCommand(CliApp.Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        ApiClient Connect(ParseResult parse) => CliApp.Connect(parse, globals, environment, handler);
        var get = new Command("get-default-pool", "The pool VMs go to when they name none.\nExample: otherix cluster get-default-pool");
        get.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            string name;
            try
            {
                name = (await client.SendAsync<DefaultPool>(HttpMethod.Get, "/v1/cluster/default-pool", null, ct)).Name ?? "(unset)";
            }
            catch (CliException e) when (e.Message.StartsWith("api_error: not_found", StringComparison.Ordinal))
            {
                name = "(unset)";
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync($"default-pool: {name}");
        }));
        var setName = new Argument<string>("name") { Description = "An existing pool" };
        var set = new Command("set-default-pool", "Set the cluster default pool (admin).\nExample: otherix cluster set-default-pool fast-ssd") { setName };
        set.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var result = await client.SendAsync<DefaultPool>(HttpMethod.Put, "/v1/cluster/default-pool", new DefaultPool { Name = parse.GetValue(setName) }, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"default-pool: {result.Name}");
        }));
        var force = new Option<bool>("--force") { Description = "Do not ask (required when stdin is not a terminal)" };
        var unset = new Command("unset-default-pool", "Unset the cluster default pool (admin); VMs must then name a pool.\nExample: otherix cluster unset-default-pool --force") { force };
        unset.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            CliOutput.Confirm(parse, force, "unset the cluster default pool");
            using var client = Connect(parse);
            await client.SendRawAsync(HttpMethod.Delete, "/v1/cluster/default-pool", null, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync("default-pool unset");
        }));
        return new Command("cluster", "Cluster-wide settings.") { get, set, unset };
    }
}
