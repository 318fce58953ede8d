using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Dev;

/// <summary>
/// The seed's walkthrough on a cluster the dev scripts made, with the CLI a new user types: create
/// without <c>--pool</c> (user-data marker), list/get in every format, the console in pipe mode showing
/// the marker, every lifecycle verb, a control plane restart that loses nothing, the default-pool
/// failure mode, a viewer and a developer, and a delete that leaves nothing in libvirt or on disk.
/// </summary>
[NonParallelizable]
public sealed class SeedWalkthroughTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Test]
    public async Task TheSeedsVmWalkthrough_WorksAsWritten()
    {
        await using var dev = await DevCluster.PrepareAsync();
        var started = await dev.ScriptAsync("local-dev-start.sh");
        Assert.That(started.Exit, Is.Zero, started.Output);
        var vm = "demo-" + Guid.NewGuid().ToString("N")[..6];
        dev.Domains.Add(vm);
        var marker = $"#marker: seed-{Guid.NewGuid():N}";
        var userData = Path.Combine(dev.Root, "user-data.yaml");
        await File.WriteAllTextAsync(userData, $"#cloud-config\n{marker}\n");

        var created = await dev.OtherixAsync("vm", "create", vm, "--image-url", dev.ImageUrl, "--arch", "amd64", "--vcpus", "1", "--memory-mb", "256", "--user-data", userData, "--wait");
        Assert.That(created.Exit, Is.Zero, created.Output);
        Assert.That(created.Output, Does.StartWith("created task=").And.Match(@"created task=[0-9a-f-]{36} status=pending\n").And.Match(@"vm running task=[0-9a-f-]{36}\n"));

        var list = await dev.OtherixAsync("vm", "list");
        Assert.That(list.Output, Does.Match($@"^NAME\s+STATUS\s+POOL\s+IMAGE\n{vm}\s+running\s+{dev.Pool}\s+otherix-fixture.qcow2\n$"));
        var get = await dev.OtherixAsync("vm", "get", vm);
        Assert.That(get.Output, Does.Match($@"^id: [0-9a-f-]{{36}}\nname: {vm}\nowner_id: [0-9a-f-]{{36}}\nimage_url: {dev.ImageUrl}\nimage_format: qcow2\npool: {dev.Pool}\nnode: node-dev\narchitecture: amd64\nvcpus: 1\nmemory_mb: 256\nstatus: running\ndesired_phase: running\ncreated_at: "));
        Assert.That((await dev.OtherixAsync("vm", "get", vm, "-o", "json")).Output, Does.StartWith("{\"id\":").And.Contain($"\"name\":\"{vm}\""));
        Assert.That((await dev.OtherixAsync("vm", "get", vm, "-o", "yaml")).Output, Does.StartWith($"apiVersion: otherix/v1\nkind: VM\nmetadata:\n  name: {vm}\n"));

        // The console in pipe mode: log in and show the user-data the VM got (the fixture keeps its seed mounted).
        var id = System.Text.Json.JsonDocument.Parse((await dev.OtherixAsync("vm", "get", vm, "-o", "json")).Output).RootElement.GetProperty("id").GetString()!;
        await ConsoleLogFile.WaitForAsync(Path.Combine(dev.StateDir, "vms", id, "console.log"), t => t.Contains($"{vm} login:", StringComparison.Ordinal), TimeSpan.FromSeconds(120), "login prompt");
        using (var console = ChildProcess.Start("otherix.dll", ["vm", "console", vm], new Dictionary<string, string> { ["OTHERIX_CONFIG"] = Path.Combine(dev.Root, "cli", "config") }, keepInput: true))
        {
            await console.WaitForOutputAsync("pipe mode", Patience);
            await console.WriteInputAsync("root\r");
            await console.WaitForOutputAsync("built-in shell", Patience);
            await console.WriteInputAsync("grep '^#mark''er:' /mnt/seed/user-data\r");
            await console.WaitForOutputAsync(marker, Patience);
            await console.WriteInputAsync(0x1D);
            Assert.That(await console.WaitAsync(Patience), Is.Zero, console.Output);
        }

        // Every lifecycle verb, as the seed lists them.
        foreach (var (verb, expected) in new[] { ("stop", "vm stopped task="), ("start", "vm running task="), ("reboot", "vm running task=") })
        {
            var result = await dev.OtherixAsync("vm", verb, vm, "--wait");
            Assert.That(result.Output, Does.Contain(expected), $"{verb}: {result.Output}");
        }

        foreach (var (verb, expected) in new[] { ("pause", "paused"), ("resume", "running"), ("reset", "running") })
        {
            var result = await dev.OtherixAsync("vm", verb, vm);
            Assert.That(result.Output, Does.Contain($"vm {vm} {expected}"), $"{verb}: {result.Output}");
        }

        // A control plane restart loses nothing: the node, the VM, the CLI's token.
        var apiPid = int.Parse(await File.ReadAllTextAsync(Path.Combine(dev.Root, "run", "api.pid")), System.Globalization.CultureInfo.InvariantCulture);
        await CommandRunner.RunAsync("kill", ["-TERM", apiPid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        await Poll.UntilAsync(() => Task.FromResult(Directory.Exists($"/proc/{apiPid}")), alive => !alive, TimeSpan.FromSeconds(60), "the control plane stopped");
        var restarted = await dev.ScriptAsync("local-dev-start.sh");
        Assert.That(restarted.Exit, Is.Zero, restarted.Output);
        Assert.That(restarted.Output, Does.Contain("starting the control plane").And.Contain("holds its certificate already"));
        Assert.That((await dev.OtherixAsync("vm", "get", vm)).Output, Does.Contain("status: running"));

        // The failure mode of an unset default pool, then back.
        Assert.That((await dev.OtherixAsync("cluster", "unset-default-pool", "--force")).Output, Does.Contain("default-pool unset"));
        Assert.That((await dev.OtherixAsync("cluster", "get-default-pool")).Output, Is.EqualTo("default-pool: (unset)\n"));
        var noPool = await dev.OtherixAsync("vm", "create", vm + "-x", "--image-url", dev.ImageUrl, "--arch", "amd64");
        Assert.That(noPool.Exit, Is.EqualTo(1));
        Assert.That(noPool.Output, Does.StartWith("error: api_error: default_pool_not_set:"));
        Assert.That((await dev.OtherixAsync("cluster", "set-default-pool", dev.Pool)).Output, Is.EqualTo($"default-pool: {dev.Pool}\n"));

        // A viewer reads but cannot create; a developer does not see others' VMs.
        foreach (var role in new[] { "viewer", "developer" })
        {
            Assert.That((await dev.OtherixAsync("user", "create", $"{role}@otherix.test", "--role", role, "--password", $"{role}-password-123")).Exit, Is.Zero);
            var added = await dev.OtherixAsync("config", "add", "cluster", "--name", role, "--server", dev.Server, "--login", $"{role}@otherix.test", "--password", $"{role}-password-123", "--set-current=false");
            Assert.That(added.Exit, Is.Zero, added.Output);
        }

        Assert.That((await dev.OtherixAsync("--cluster", "viewer", "vm", "list")).Output, Does.Contain(vm));
        var denied = await dev.OtherixAsync("--cluster", "viewer", "vm", "create", "nope", "--image-url", dev.ImageUrl, "--arch", "amd64");
        Assert.That(denied.Output, Does.StartWith("error: api_error: permission_denied:"));
        var developerList = await dev.OtherixAsync("--cluster", "developer", "vm", "list");
        Assert.That(developerList.Exit, Is.Zero, developerList.Output);
        Assert.That(developerList.Output, Does.Not.Contain(vm));

        var deleted = await dev.OtherixAsync("vm", "delete", vm, "--wait", "--force");
        Assert.That(deleted.Output, Does.Match(@"deleted task=[0-9a-f-]{36} status=pending\n").And.Match(@"vm deleted task=[0-9a-f-]{36}\n"));
        Assert.That((await CommandRunner.RunAsync("virsh", ["-c", LibvirtHost.SystemUri, "list", "--all", "--name"], TimeSpan.FromSeconds(30))).StandardOutput, Does.Not.Contain($"otx-{vm}"));
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(dev.StateDir, "vms")), Is.Empty, "the agent's vms/ directory is empty");
    }
}
