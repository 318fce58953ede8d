using System.Collections;
using System.CommandLine;
using Otherix.Api.Pools;
using Otherix.Api.Vms;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Otherix.Cli;

/// <summary>
/// <c>otherix create -f</c> / <c>delete -f</c>: multi-document <c>otherix/v1</c> manifests (kinds
/// <c>StoragePool</c> and <c>VM</c>; <c>Network</c> is refused until networks exist). Every document is
/// read and checked before anything is sent, so a bad file changes nothing; then creation runs
/// StoragePool → VM and deletion VM → StoragePool, going on after a failed resource and exiting 1 if any failed.
/// </summary>
internal static class ManifestCommands
{
    private const string Vm = "VM";
    private const string StoragePool = "StoragePool";

    /// <summary>One checked document.</summary>
    private sealed record Resource(string Kind, string Name, string Where, VmSpec? VmSpec, PoolSpec? PoolSpec)
    {
        public int Order => Kind == StoragePool ? 0 : 1;

        public IEnumerable<string> Nodes => PoolSpec?.NodeList ?? (PoolSpec?.Node is { } node ? [node] : []);

        public string Label => $"{Kind.ToLowerInvariant()}/{Name}";
    }

    /// <summary>The document as first read: the spec stays a tree until the kind says what it must be.</summary>
    private sealed class RawDocument
    {
        [YamlMember(Alias = "apiVersion")]
        public string? ApiVersion { get; set; }

        [YamlMember(Alias = "kind")]
        public string? Kind { get; set; }

        [YamlMember(Alias = "metadata")]
        public Dictionary<string, string>? Metadata { get; set; }

        [YamlMember(Alias = "spec")]
        public object? Spec { get; set; }
    }

    public static (Command Create, Command Delete) Build(CliApp.Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        var createFiles = new Option<string[]>("--filename", "-f") { Description = "Manifest file (repeatable), or - for stdin", Required = true, AllowMultipleArgumentsPerToken = false };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check the files and print what would be done; send nothing" };
        var wait = new Option<bool>("--wait") { Description = "Wait for each VM's task to finish" };
        var waitTimeout = new Option<string>("--wait-timeout") { Description = "Give up waiting on one VM after this long", DefaultValueFactory = _ => "5m" };
        var create = new Command("create", """
            Create the resources of otherix/v1 manifests: StoragePool first, then VM.
            Every document is checked before anything is sent; after that, a failed resource does not stop
            the others, and the exit status is 1 if any failed. -o yaml of vm/pool get prints such documents.
            Example: otherix create -f cluster.yaml --wait --wait-timeout 300s
            """) { createFiles, dryRun, wait, waitTimeout };
        create.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            var resources = await ReadAsync(parse.GetValue(createFiles)!, ct);
            var output = parse.InvocationConfiguration.Output;
            var failed = 0;
            using var client = parse.GetValue(dryRun) ? null : CliApp.Connect(parse, globals, environment, handler);
            foreach (var resource in resources.OrderBy(r => r.Order))
            {
                foreach (var step in CreateSteps(resource))
                {
                    if (client is null)
                    {
                        await output.WriteLineAsync($"{step.Label} would be created{step.Suffix} (dry run)");
                        continue;
                    }

                    try
                    {
                        await output.WriteLineAsync(await step.RunAsync(client, parse, wait, waitTimeout, ct));
                    }
                    catch (CliException e)
                    {
                        failed++;
                        await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {step.Label}{step.Suffix}: {e.Message}");
                    }
                }
            }

            if (failed > 0)
            {
                throw new CliException($"{failed} of the resources failed; the others were created");
            }
        }));

        var deleteFiles = new Option<string[]>("--filename", "-f") { Description = "Manifest file (repeatable), or - for stdin", Required = true };
        var deleteDryRun = new Option<bool>("--dry-run") { Description = "Check the files and print what would be done; send nothing" };
        var force = new Option<bool>("--force") { Description = "Do not ask (required when stdin is not a terminal)" };
        var deleteTimeout = new Option<string>("--wait-timeout") { Description = "How long to wait for each VM's deletion before its pool goes", DefaultValueFactory = _ => "5m" };
        var delete = new Command("delete", """
            Delete the resources of otherix/v1 manifests: VMs first (waiting for each), then pools.
            What is already gone is reported and skipped; nothing is forced past a blocker (a pool still
            holding disks stays, with its error).
            Example: otherix delete -f cluster.yaml --force
            """) { deleteFiles, deleteDryRun, force, deleteTimeout };
        delete.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            var resources = await ReadAsync(parse.GetValue(deleteFiles)!, ct);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(deleteDryRun))
            {
                foreach (var resource in resources.OrderByDescending(r => r.Order))
                {
                    await output.WriteLineAsync($"{resource.Label} would be deleted (dry run)");
                }

                return;
            }

            CliOutput.Confirm(parse, force, $"delete {resources.Count} resource(s) of {string.Join(", ", parse.GetValue(deleteFiles)!)}");
            using var client = CliApp.Connect(parse, globals, environment, handler);
            var failed = 0;
            foreach (var resource in resources.OrderByDescending(r => r.Order))
            {
                var paths = resource.Kind == Vm
                    ? [($"/v1/vms/{resource.Name}", "")]
                    : resource.Nodes.Select(n => ($"/v1/storage-pools/{resource.Name}?node={Uri.EscapeDataString(n)}", $" on {n}")).ToList();
                foreach (var (path, suffix) in paths)
                {
                    try
                    {
                        if (resource.Kind == Vm)
                        {
                            var accepted = await client.SendAsync<VmTaskAccepted>(HttpMethod.Delete, path, null, ct);
                            await TaskWaiter.WaitAsync(client, accepted.TaskId, TaskWaiter.Timeout(parse, deleteTimeout), parse.InvocationConfiguration.Error, ct);
                        }
                        else
                        {
                            await client.SendRawAsync(HttpMethod.Delete, path, null, ct); // 204
                        }

                        await output.WriteLineAsync($"{resource.Label}{suffix} deleted");
                    }
                    catch (CliException e) when (e.Message.Contains("_not_found:", StringComparison.Ordinal))
                    {
                        await output.WriteLineAsync($"{resource.Label}{suffix} already gone");
                    }
                    catch (CliException e)
                    {
                        failed++;
                        await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {resource.Label}{suffix}: {e.Message}");
                    }
                }
            }

            if (failed > 0)
            {
                throw new CliException($"{failed} of the resources could not be deleted; the others were");
            }
        }));
        return (create, delete);
    }

    private sealed record Step(string Label, string Suffix, Func<ApiClient, ParseResult, Option<bool>, Option<string>, CancellationToken, Task<string>> RunAsync);

    private static IEnumerable<Step> CreateSteps(Resource resource)
    {
        if (resource.Kind == StoragePool)
        {
            foreach (var node in resource.Nodes)
            {
                yield return new Step(resource.Label, $" on {node}", async (client, _, _, _, ct) =>
                {
                    var pool = await client.SendAsync<Otherix.Api.Pools.StoragePool>(HttpMethod.Post, "/v1/storage-pools", new CreatePoolRequest
                    {
                        Name = resource.Name, Node = node, Path = resource.PoolSpec!.Path, Type = resource.PoolSpec.Type ?? "local_dir",
                    }, ct);
                    return $"{resource.Label} created on {pool.Node}";
                });
            }

            yield break;
        }

        var spec = resource.VmSpec!;
        yield return new Step(resource.Label, "", async (client, parse, wait, waitTimeout, ct) =>
        {
            var accepted = await client.SendAsync<VmTaskAccepted>(HttpMethod.Post, "/v1/vms", new CreateVmRequest
            {
                Name = resource.Name, ImageUrl = spec.ImageUrl, ImageSha256 = spec.ImageSha256, Arch = spec.Arch, Vcpus = spec.Vcpus, MemoryMb = spec.MemoryMb,
                DiskGib = spec.DiskGib, Pool = spec.Pool, Node = spec.Node, Network = spec.Network, UserData = spec.UserData,
            }, ct);
            if (!parse.GetValue(wait))
            {
                return $"{resource.Label} created task={accepted.TaskId} status={accepted.Status}";
            }

            var (task, phase) = await TaskWaiter.WaitForVmAsync(client, accepted.TaskId, resource.Name, TaskWaiter.Timeout(parse, waitTimeout), parse.InvocationConfiguration.Error, ct);
            return $"{resource.Label} {phase} task={task.Id}";
        });
    }

    /// <summary>Reads and checks every document of every file; all problems are reported at once.</summary>
    private static async Task<List<Resource>> ReadAsync(string[] files, CancellationToken ct)
    {
        var resources = new List<Resource>();
        var problems = new List<string>();
        foreach (var file in files)
        {
            string text;
            try
            {
                text = file == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(file, ct);
            }
            catch (IOException e)
            {
                problems.Add($"{file}: {e.Message}");
                continue;
            }

            try
            {
                var parser = new Parser(new StringReader(text));
                parser.Consume<StreamStart>();
                var index = 0;
                while (parser.TryConsume<DocumentStart>(out var start))
                {
                    index++;
                    var where = $"{(file == "-" ? "stdin" : file)}:{start.Start.Line} (document {index})";
                    var raw = parser.Accept<DocumentEnd>(out _) ? null : Strict.Deserialize<RawDocument>(parser);
                    parser.Consume<DocumentEnd>();
                    if (raw is not null)
                    {
                        Check(raw, where, resources, problems);
                    }
                }
            }
            catch (YamlException e)
            {
                problems.Add($"{file}:{e.Start.Line}: {e.InnerException?.Message ?? e.Message}");
            }
        }

        foreach (var duplicate in resources.GroupBy(r => r.Label).Where(g => g.Count() > 1))
        {
            problems.Add($"{duplicate.Key} appears {duplicate.Count()} times ({string.Join(", ", duplicate.Select(d => d.Where))})");
        }

        if (problems.Count > 0)
        {
            throw new CliException($"usage: nothing was sent; fix the manifests:\n  {string.Join("\n  ", problems)}");
        }

        return resources.Count > 0 ? resources : throw new CliException("usage: the manifests hold no documents");
    }

    private static readonly IDeserializer Strict = new DeserializerBuilder().Build();

    private static void Check(RawDocument raw, string where, List<Resource> resources, List<string> problems)
    {
        var name = raw.Metadata?.GetValueOrDefault("name");
        var label = $"{where} {raw.Kind ?? "?"}/{name ?? "?"}";
        if (raw.ApiVersion != Manifests.ApiVersion)
        {
            problems.Add($"{label}: apiVersion must be {Manifests.ApiVersion}, not {raw.ApiVersion ?? "(missing)"}");
            return;
        }

        if (string.IsNullOrEmpty(name))
        {
            problems.Add($"{label}: metadata.name is required");
            return;
        }

        // The spec, re-read strictly as its kind's shape: an unknown or misspelt field is an error.
        var specYaml = new SerializerBuilder().Build().Serialize(raw.Spec ?? new Dictionary<string, object>());
        try
        {
            switch (raw.Kind)
            {
                case Vm:
                    var vm = Strict.Deserialize<VmSpec>(specYaml) ?? new VmSpec();
                    var missing = new[] { (vm.ImageUrl, "imageURL"), (vm.Arch, "arch") }.Where(f => string.IsNullOrEmpty(f.Item1)).Select(f => f.Item2).ToList();
                    if (missing.Count > 0)
                    {
                        problems.Add($"{label}: spec.{string.Join(" and spec.", missing)} required");
                        return;
                    }

                    resources.Add(new Resource(Vm, name, where, vm, null));
                    break;
                case StoragePool:
                    var pool = Strict.Deserialize<PoolSpec>(specYaml) ?? new PoolSpec();
                    if (string.IsNullOrEmpty(pool.Path) || (pool.Node is null) == (pool.NodeList is null or { Count: 0 }))
                    {
                        problems.Add($"{label}: spec.path and exactly one of spec.node / spec.nodeList are required");
                        return;
                    }

                    pool.NodeList = pool.NodeList?.Distinct(StringComparer.Ordinal).ToList();
                    resources.Add(new Resource(StoragePool, name, where, null, pool));
                    break;
                case "Network":
                    problems.Add($"{label}: networks are not available in this version of Otherix");
                    break;
                default:
                    problems.Add($"{label}: kind must be StoragePool or VM (case-sensitive), not {raw.Kind ?? "(missing)"}");
                    break;
            }
        }
        catch (YamlException e)
        {
            var message = e.InnerException?.Message ?? e.Message;
            var unknown = System.Text.RegularExpressions.Regex.Match(message, "Property '(.+)' not found on type");
            problems.Add($"{label}: spec: {(unknown.Success ? $"unknown field {unknown.Groups[1].Value} (fields are camelCase, e.g. imageURL, memoryMB, nodeList)" : message)}");
        }
    }
}
