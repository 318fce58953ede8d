using System.Collections;
using System.CommandLine;
using Otherix.Api.Common;
using Otherix.Api.Vms;

namespace Otherix.Cli;

/// <summary><c>otherix vm …</c>.</summary>
internal static class VmCommands
{
    private static readonly string[] TaskVerbs = ["start", "stop", "poweroff", "reboot"];
    private static readonly string[] NowVerbs = ["pause", "resume", "reset"];
    private static readonly Dictionary<string, string> Verbs = new()
    {
        ["start"] = "Start a stopped VM",
        ["stop"] = "Shut a VM down cleanly (ACPI; the guest decides)",
        ["poweroff"] = "Cut a VM's power (no guest shutdown)",
        ["reboot"] = "Reboot a VM through its guest",
        ["pause"] = "Pause a VM's CPUs (memory kept)",
        ["resume"] = "Resume a paused VM",
        ["reset"] = "Hard-reset a VM (like the reset button)",
    };

    private static readonly string[] ListHeaders = ["NAME", "STATUS", "POOL", "IMAGE"];

    public static Command Build(CliApp.Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        var vm = new Command("vm", "Virtual machines.");
        var wait = new Option<bool>("--wait") { Description = "Wait until the operation has finished" };
        var waitTimeout = new Option<string>("--wait-timeout") { Description = "Give up waiting after this long", DefaultValueFactory = _ => "5m" };
        ApiClient Connect(ParseResult parse) => CliApp.Connect(parse, globals, environment, handler);

        // vm create
        var createName = new Argument<string>("name") { Description = "VM name (DNS label)" };
        var imageUrl = new Option<string>("--image-url") { Description = "http(s) URL of a qcow2 or raw image", Required = true };
        var arch = new Option<string>("--arch") { Description = "amd64 or arm64", Required = true };
        var vcpus = new Option<int>("--vcpus") { Description = "Virtual CPUs", DefaultValueFactory = _ => 2 };
        var memory = new Option<int>("--memory-mb", "--memory-mib") { Description = "Memory in MiB", DefaultValueFactory = _ => 2048 };
        var disk = new Option<int?>("--disk-gib") { Description = "Grow the disk to this size" };
        var pool = new Option<string?>("--pool") { Description = "Pool (default: the cluster default pool)" };
        var node = new Option<string?>("--node") { Description = "Place on this node" };
        var sha = new Option<string?>("--image-sha256") { Description = "Expected SHA-256 of the image" };
        var userData = new Option<string?>("--user-data") { Description = "cloud-init user-data file, or - for stdin" };
        var network = new Option<string?>("--network") { Description = "Attach to this network (networks are not available yet: refused)" };
        var create = new Command("create", "Create a VM.\nExample: otherix vm create demo-vm --image-url https://…/debian-12.qcow2 --arch amd64 --memory-mb 512 --wait")
        {
            createName, imageUrl, arch, vcpus, memory, disk, pool, node, network, sha, userData, wait, waitTimeout,
        };
        create.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            var userDataText = parse.GetValue(userData) switch
            {
                null => null,
                "-" => await Console.In.ReadToEndAsync(cancellationToken),
                var file when File.Exists(file) => await File.ReadAllTextAsync(file, cancellationToken),
                var file => throw new CliException($"usage: --user-data {file}: no such file"),
            };
            using var client = Connect(parse);
            var name = parse.GetValue(createName)!;
            var accepted = await client.SendAsync<VmTaskAccepted>(HttpMethod.Post, "/v1/vms", new CreateVmRequest
            {
                Name = name, ImageUrl = parse.GetValue(imageUrl), Arch = parse.GetValue(arch), Vcpus = parse.GetValue(vcpus), MemoryMb = parse.GetValue(memory),
                DiskGib = parse.GetValue(disk), Pool = parse.GetValue(pool), Node = parse.GetValue(node), ImageSha256 = parse.GetValue(sha), UserData = userDataText,
                Network = parse.GetValue(network),
            }, cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync($"created task={accepted.TaskId} status={accepted.Status}");
            if (parse.GetValue(wait))
            {
                var (task, phase) = await TaskWaiter.WaitForVmAsync(client, accepted.TaskId, name, TaskWaiter.Timeout(parse, waitTimeout), parse.InvocationConfiguration.Error, cancellationToken);
                await output.WriteLineAsync($"vm {phase} task={task.Id}");
            }
        }));
        vm.Subcommands.Add(create);

        // vm list
        var list = new Command("list", "List VMs (a page at a time: --limit, then --cursor with the printed next_cursor).\nExample: otherix vm list --limit 50");
        var paging = ListPaging.AddTo(list);
        list.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var path = $"/v1/vms?{paging.Query(parse)}";
            if (await CliOutput.FormatAsync(parse, globals, client, path, cancellationToken, Manifests.OfVms))
            {
                return;
            }

            var page = await client.SendAsync<ListResponse<Vm>>(HttpMethod.Get, path, null, cancellationToken);
            await paging.WriteAsync(parse, ListHeaders,
                page.Data.Select(v => (v.Id, new[] { v.Name, v.Status.Phase, v.Pool, Path.GetFileName(new Uri(v.ImageUrl).AbsolutePath) })), page.Meta.NextCursor);
        }));
        vm.Subcommands.Add(list);

        // vm get
        var getName = new Argument<string>("name") { Description = "VM name" };
        var get = new Command("get", "Show one VM; -o yaml prints a manifest.\nExample: otherix vm get demo-vm") { getName };
        get.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = Connect(parse);
            var path = $"/v1/vms/{parse.GetValue(getName)}";
            var output = parse.InvocationConfiguration.Output;
            if (await CliOutput.FormatAsync(parse, globals, client, path, cancellationToken, Manifests.OfVms))
            {
                return;
            }

            var v = await client.SendAsync<Vm>(HttpMethod.Get, path, null, cancellationToken);
            await output.WriteLineAsync($"""
                id: {v.Id}
                name: {v.Name}
                owner_id: {v.OwnerId}
                image_url: {v.ImageUrl}
                image_format: {v.ImageFormat ?? "-"}
                pool: {v.Pool}
                node: {v.Node}
                architecture: {v.Architecture}
                vcpus: {v.Vcpus}
                memory_mb: {v.MemoryMb}
                status: {v.Status.Phase}{(v.Status.Reason is { } r ? $" ({r}{(v.Status.Message is { } m ? $": {m}" : "")})" : "")}
                desired_phase: {v.DesiredPhase}
                created_at: {v.CreatedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}
                updated_at: {v.UpdatedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}
                """);
        }));
        vm.Subcommands.Add(get);

        // vm delete
        var deleteName = new Argument<string>("name") { Description = "VM name" };
        var force = new Option<bool>("--force") { Description = "Do not ask (required when stdin is not a terminal)" };
        var delete = new Command("delete", "Delete a VM and its disks.\nExample: otherix vm delete demo-vm --force --wait") { deleteName, force, wait, waitTimeout };
        delete.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
        {
            var name = parse.GetValue(deleteName)!;
            var output = parse.InvocationConfiguration.Output;
            CliOutput.Confirm(parse, force, $"delete VM {name} and its disks");

            using var client = Connect(parse);
            var accepted = await client.SendAsync<VmTaskAccepted>(HttpMethod.Delete, $"/v1/vms/{name}", null, cancellationToken);
            await output.WriteLineAsync($"deleted task={accepted.TaskId} status={accepted.Status}");
            if (parse.GetValue(wait))
            {
                var task = await TaskWaiter.WaitAsync(client, accepted.TaskId, TaskWaiter.Timeout(parse, waitTimeout), parse.InvocationConfiguration.Error, cancellationToken);
                await output.WriteLineAsync($"vm deleted task={task.Id}");
            }
        }));
        vm.Subcommands.Add(delete);

        // lifecycle
        foreach (var verb in TaskVerbs.Concat(NowVerbs))
        {
            var verbName = new Argument<string>("name") { Description = "VM name" };
            var command = TaskVerbs.Contains(verb)
                ? new Command(verb, $"{Verbs[verb]} (a task; --wait follows it).\nExample: otherix vm {verb} demo-vm --wait") { verbName, wait, waitTimeout }
                : new Command(verb, $"{Verbs[verb]} (done when the command returns).\nExample: otherix vm {verb} demo-vm") { verbName };
            command.SetAction((parse, cancellationToken) => CliOutput.RunAsync(parse, async () =>
            {
                using var client = Connect(parse);
                var name = parse.GetValue(verbName)!;
                var output = parse.InvocationConfiguration.Output;
                if (NowVerbs.Contains(verb))
                {
                    var now = await client.SendAsync<Vm>(HttpMethod.Post, $"/v1/vms/{name}/{verb}", null, cancellationToken);
                    await output.WriteLineAsync($"vm {now.Name} {now.Status.Phase}");
                    return;
                }

                var accepted = await client.SendAsync<VmTaskAccepted>(HttpMethod.Post, $"/v1/vms/{name}/{verb}", null, cancellationToken);
                await output.WriteLineAsync($"{verb} task={accepted.TaskId} status={accepted.Status}");
                if (parse.GetValue(wait))
                {
                    var (task, phase) = await TaskWaiter.WaitForVmAsync(client, accepted.TaskId, name, TaskWaiter.Timeout(parse, waitTimeout), parse.InvocationConfiguration.Error, cancellationToken);
                    await output.WriteLineAsync($"vm {phase} task={task.Id}");
                }
            }));
            vm.Subcommands.Add(command);
        }

        // vm console
        var consoleName = new Argument<string>("name") { Description = "VM name" };
        var console = new Command("console", """
            Attach to a running VM's serial console.
            On a terminal, the terminal is put in raw mode (every key goes to the VM, Ctrl+C included) and
            restored however the session ends; Ctrl+] detaches. With stdin not a terminal (pipe mode), the
            input is sent as is; Ctrl+] in it, or its end followed by 1 s without output, detaches.
            Exit status: 0 detached or closed by the server, 1 error, 130 interrupted by a signal.
            Example: otherix vm console demo-vm
            Example: printf 'root\r' | otherix vm console demo-vm
            """) { consoleName };
        console.SetAction(async (parse, cancellationToken) =>
        {
            var interrupted = false;
            var exit = await CliOutput.RunAsync(parse, async () =>
            {
                using var client = Connect(parse);
                interrupted = await ConsoleSession.RunAsync(client, parse.GetValue(consoleName)!, parse.InvocationConfiguration.Error, cancellationToken)
                    == ConsoleSession.Ending.Interrupted;
            });
            return interrupted ? 130 : exit;
        });
        vm.Subcommands.Add(console);

        return vm;
    }
}

/// <summary>Aligned text tables.</summary>
internal static class Table
{
    public static async Task WriteAsync(TextWriter output, string[] headers, IReadOnlyList<string[]> rows)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        async Task Line(string[] cells) => await output.WriteLineAsync(string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
        await Line(headers);
        foreach (var row in rows)
        {
            await Line(row);
        }
    }
}
