using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary>The seed's <c>otherix vm</c> session: the real CLI, control plane, agent and libvirtd.</summary>
public sealed class CliVmTests
{
    [Test]
    public async Task VmCommands_CreateListGetStopDelete_AsTheSeedShows()
    {
        RepoLayout.RequireFixtureImage();
        await using var files = await LoopbackFileServer.StartAsync();
        var image = files.Serve("fixture.qcow2", RepoLayout.FixtureImage);
        await using var cluster = await TestCluster.StartAsync("/var/tmp");
        await using var agent = await LibvirtAgent.StartAsync(cluster, "e2e-cli");
        var name = "cli-" + Guid.NewGuid().ToString("N")[..6];
        agent.Domains.Add(name);
        var env = new Dictionary<string, string> { ["OTHERIX_SERVER"] = cluster.Http.BaseAddress!.ToString(), ["OTHERIX_API_TOKEN"] = cluster.AdminToken };
        async Task<(int Exit, string Output)> OtherixAsync(params string[] args)
        {
            using var cli = ChildProcess.Start("otherix.dll", args, env);
            var exit = await cli.WaitAsync(TimeSpan.FromMinutes(3));
            return (exit, cli.Output);
        }

        var created = await OtherixAsync("vm", "create", name, "--image-url", image.ToString(), "--arch", "amd64", "--vcpus", "1", "--memory-mb", "256", "--wait");
        Assert.That(created.Exit, Is.Zero, created.Output);
        Assert.That(created.Output, Does.Match(@"created task=[0-9a-f-]{36} status=pending").And.Match(@"vm running task=[0-9a-f-]{36}"));

        var list = await OtherixAsync("vm", "list");
        Assert.That(list.Output, Does.Match(@"NAME\s+STATUS\s+POOL\s+IMAGE").And.Match($@"{name}\s+running\s+{TestCluster.DefaultPoolName}\s+fixture.qcow2"));
        var withIds = await OtherixAsync("vm", "list", "--show-ids");
        Assert.That(withIds.Output, Does.Match(@"ID\s+NAME\s+STATUS"));

        var json = await OtherixAsync("vm", "get", name, "-o", "json");
        Assert.That(json.Output, Does.Contain($"\"name\":\"{name}\"").And.Contain("\"phase\":\"running\""));
        var text = await OtherixAsync("vm", "get", name);
        Assert.That(text.Output, Does.Contain($"name: {name}").And.Contain("status: running").And.Contain("image_format: qcow2"));

        var paused = await OtherixAsync("vm", "pause", name);
        Assert.That(paused.Output, Does.Contain($"vm {name} paused"));
        Assert.That((await OtherixAsync("vm", "resume", name)).Output, Does.Contain($"vm {name} running"));
        var stopped = await OtherixAsync("vm", "poweroff", name, "--wait");
        Assert.That(stopped.Output, Does.Match(@"vm stopped task="), stopped.Output);

        var missing = await OtherixAsync("vm", "get", "no-such-vm");
        Assert.That(missing.Exit, Is.EqualTo(1));
        Assert.That(missing.Output.Trim(), Is.EqualTo("error: api_error: vm_not_found: VM no-such-vm not found"));

        var yaml = await OtherixAsync("vm", "get", name, "-o", "yaml");
        Assert.That(yaml.Output, Does.StartWith($"apiVersion: otherix/v1\nkind: VM\nmetadata:\n  name: {name}\nspec:\n  imageURL: {image}\n"));

        var unforced = await OtherixAsync("vm", "delete", name);
        Assert.That(unforced.Exit, Is.EqualTo(1));
        Assert.That(unforced.Output, Does.Contain("--force"));
        var deleted = await OtherixAsync("vm", "delete", name, "--force", "--wait");
        Assert.That(deleted.Exit, Is.Zero, deleted.Output);
        Assert.That(deleted.Output, Does.Match(@"deleted task=\S+ status=pending").And.Match(@"vm deleted task="));
        Assert.That((await FixtureVm.VirshAsync("list", "--all", "--name")).StandardOutput, Does.Not.Contain($"otx-{name}"));

        // The projected manifest creates the VM again, and delete -f removes it.
        using var manifests = new TempDirectory("otx-e2e-manifest-");
        var manifest = Path.Combine(manifests.Path, "vm.yaml");
        await File.WriteAllTextAsync(manifest, yaml.Output);
        var applied = await OtherixAsync("create", "-f", manifest, "--wait");
        Assert.That(applied.Exit, Is.Zero, applied.Output);
        Assert.That(applied.Output, Does.Match($@"vm/{name} running task=[0-9a-f-]{{36}}"));
        var removed = await OtherixAsync("delete", "-f", manifest, "--force");
        Assert.That(removed.Exit, Is.Zero, removed.Output);
        Assert.That(removed.Output, Does.Contain($"vm/{name} deleted"));
        Assert.That((await FixtureVm.VirshAsync("list", "--all", "--name")).StandardOutput, Does.Not.Contain($"otx-{name}"));

        // --wait on a task that fails: its code and message, exit 1.
        var broken = "bad-" + Guid.NewGuid().ToString("N")[..6];
        agent.Domains.Add(broken);
        var failed = await OtherixAsync("vm", "create", broken, "--image-url", new Uri(files.BaseAddress, "missing.qcow2").ToString(), "--arch", "amd64", "--memory-mb", "256", "--wait", "--wait-timeout", "2m");
        Assert.That(failed.Exit, Is.EqualTo(1), failed.Output);
        Assert.That(failed.Output, Does.Match(@"created task=\S+ status=pending").And.Match(@"error: task [0-9a-f-]{36} failed: download_failed: .*404"));
        Assert.That((await OtherixAsync("vm", "delete", broken, "--force", "--wait")).Exit, Is.Zero);
    }
}
