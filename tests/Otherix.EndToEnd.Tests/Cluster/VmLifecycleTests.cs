using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary>The seed's flow through REST: a real control plane, a real agent, the real libvirtd, the fixture over loopback.</summary>
public sealed class VmLifecycleTests
{
    private static async Task<JsonElement> WaitTaskAsync(TestCluster cluster, JsonElement accepted)
    {
        var id = accepted.GetProperty("task_id").GetString();
        return await Poll.UntilAsync(
            async () => await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri($"/v1/tasks/{id}", UriKind.Relative))),
            t => t.GetProperty("status").GetString() is "success" or "failed" or "cancelled", TimeSpan.FromMinutes(3), $"task {id}");
    }

    private static async Task<JsonElement> ActAsync(TestCluster cluster, string name, string action)
    {
        using var response = await cluster.Http.PostAsync(new Uri($"/v1/vms/{name}/{action}", UriKind.Relative), null);
        var body = await TestCluster.JsonAsync(response);
        return body.TryGetProperty("task_id", out _) ? await WaitTaskAsync(cluster, body) : body;
    }

    /// <summary>The console over WebSocket: log in to the fixture and see its shell; a second session and a reused token are refused.</summary>
    private static async Task<string> CheckConsoleAsync(TestCluster cluster, LibvirtAgent agent, string name)
    {
        var vm = await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri($"/v1/vms/{name}", UriKind.Relative)));
        var log = agent.ConsoleLogOf(vm.GetProperty("id").GetString()!);
        var boot = await ConsoleLogFile.WaitForAsync(log, t => t.Contains($"{name} login:", StringComparison.Ordinal), TimeSpan.FromSeconds(120), "login prompt");

        var ticket = await TestCluster.JsonAsync(await cluster.Http.PostAsync(new Uri($"/v1/vms/{name}/console", UriKind.Relative), null));
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(new Uri(ticket.GetProperty("websocket_url").GetString()!), CancellationToken.None);
        var seen = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        async Task TypeAndReadUntilAsync(string typed, string expected)
        {
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(typed), System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
            while (!seen.ToString().Contains(expected, StringComparison.Ordinal))
            {
                var received = await socket.ReceiveAsync(buffer, deadline.Token);
                Assert.That(received.MessageType, Is.Not.EqualTo(System.Net.WebSockets.WebSocketMessageType.Close), seen.ToString());
                seen.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
            }
        }

        await TypeAndReadUntilAsync("\r", $"{name} login:");
        await TypeAndReadUntilAsync("root\r", "built-in shell");

        // One session per VM, and a token works once.
        var second = await TestCluster.JsonAsync(await cluster.Http.PostAsync(new Uri($"/v1/vms/{name}/console", UriKind.Relative), null));
        using var busy = new System.Net.WebSockets.ClientWebSocket();
        busy.Options.CollectHttpResponseDetails = true;
        var refused = Assert.CatchAsync<System.Net.WebSockets.WebSocketException>(() => busy.ConnectAsync(new Uri(second.GetProperty("websocket_url").GetString()!), CancellationToken.None));
        Assert.That(busy.HttpStatusCode, Is.EqualTo(HttpStatusCode.Conflict), refused?.Message);
        using var reused = new System.Net.WebSockets.ClientWebSocket();
        reused.Options.CollectHttpResponseDetails = true;
        Assert.CatchAsync<System.Net.WebSockets.WebSocketException>(() => reused.ConnectAsync(new Uri(ticket.GetProperty("websocket_url").GetString()!), CancellationToken.None));
        Assert.That(reused.HttpStatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        return boot;
    }

    private static async Task<string> PhaseAsync(TestCluster cluster, string name) =>
        (await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri($"/v1/vms/{name}", UriKind.Relative)))).GetProperty("status").GetProperty("phase").GetString()!;

    private static async Task<string> DomStateAsync(string domain) =>
        (await CommandRunner.RunAsync("virsh", ["-c", LibvirtHost.SystemUri, "domstate", domain], TimeSpan.FromSeconds(30))).StandardOutput.Trim();

    [Test]
    public async Task Vm_CreatedThroughRest_RunsInLibvirt_GoesThroughEveryVerb_AndLeavesNothing()
    {
        LibvirtHost.RequireSystem();
        RepoLayout.RequireFixtureImage();
        await using var files = await LoopbackFileServer.StartAsync();
        var image = files.Serve("fixture.qcow2", RepoLayout.FixtureImage);
        files.Serve("fixture-copy.qcow2", RepoLayout.FixtureImage);
        await using var cluster = await TestCluster.StartAsync("/var/tmp");
        await using var agent = await LibvirtAgent.StartAsync(cluster, "e2e-vms");
        var name = "demo-" + Guid.NewGuid().ToString("N")[..6];
        agent.Domains.Add(name);

        // Create without a pool: the cluster default is used. The fixture prints "#marker:" lines of its user-data.
        var marker = $"#marker: rest-{Guid.NewGuid():N}";
        using var created = await cluster.Http.PostAsJsonAsync("/v1/vms", new { name, image_url = image.ToString(), arch = "amd64", vcpus = 1, memory_mb = 256, user_data = $"#cloud-config\n{marker}\n" });
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await created.Content.ReadAsStringAsync());
        var accepted = await TestCluster.JsonAsync(created);
        Assert.That(accepted.GetProperty("status").GetString(), Is.EqualTo("pending"));
        Assert.That(accepted.GetProperty("vm").GetProperty("pool").GetString(), Is.EqualTo(TestCluster.DefaultPoolName));
        var task = await WaitTaskAsync(cluster, accepted);
        Assert.That(task.GetProperty("status").GetString(), Is.EqualTo("success"), task.ToString());
        Assert.That(await PhaseAsync(cluster, name), Is.EqualTo("running"));
        Assert.That(await DomStateAsync($"otx-{name}"), Is.EqualTo("running"));
        var view = await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri($"/v1/vms/{name}", UriKind.Relative)));
        Assert.That(view.GetProperty("image_format").GetString(), Is.EqualTo("qcow2"));

        var consoleLog = await CheckConsoleAsync(cluster, agent, name);
        Assert.That(consoleLog, Does.Contain(marker), "our user-data reached the guest");

        using var duplicate = await cluster.Http.PostAsJsonAsync("/v1/vms", new { name, image_url = image.ToString(), arch = "amd64" });
        Assert.That(duplicate.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await duplicate.Content.ReadAsStringAsync(), Does.Contain("vm_name_in_use"));

        Assert.That((await ActAsync(cluster, name, "pause")).GetProperty("status").GetProperty("phase").GetString(), Is.EqualTo("paused"));
        Assert.That(await DomStateAsync($"otx-{name}"), Is.EqualTo("paused"));
        Assert.That((await ActAsync(cluster, name, "resume")).GetProperty("status").GetProperty("phase").GetString(), Is.EqualTo("running"));
        Assert.That((await ActAsync(cluster, name, "poweroff")).GetProperty("status").GetString(), Is.EqualTo("success"));
        Assert.That(await PhaseAsync(cluster, name), Is.EqualTo("stopped"));
        Assert.That(await DomStateAsync($"otx-{name}"), Is.EqualTo("shut off"));
        Assert.That((await ActAsync(cluster, name, "start")).GetProperty("status").GetString(), Is.EqualTo("success"));
        Assert.That(await PhaseAsync(cluster, name), Is.EqualTo("running"));
        Assert.That((await ActAsync(cluster, name, "reboot")).GetProperty("status").GetString(), Is.EqualTo("success"));

        using var deleted = await cluster.Http.DeleteAsync(new Uri($"/v1/vms/{name}", UriKind.Relative));
        var deleteTask = await WaitTaskAsync(cluster, await TestCluster.JsonAsync(deleted));
        Assert.That(deleteTask.GetProperty("status").GetString(), Is.EqualTo("success"), deleteTask.ToString());
        using var gone = await cluster.Http.GetAsync(new Uri($"/v1/vms/{name}", UriKind.Relative));
        Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await FixtureVm.VirshAsync("list", "--all", "--name")).StandardOutput, Does.Not.Contain($"otx-{name}"));

        // A bad image URL fails the task with the agent's code, and the VM says so too.
        var broken = "broken-" + Guid.NewGuid().ToString("N")[..6];
        using var bad = await cluster.Http.PostAsJsonAsync("/v1/vms", new { name = broken, image_url = new Uri(files.BaseAddress, "missing.qcow2").ToString(), arch = "amd64", vcpus = 1, memory_mb = 256 });
        var failed = await WaitTaskAsync(cluster, await TestCluster.JsonAsync(bad));
        Assert.That(failed.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(failed.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("download_failed"));
        var brokenVm = await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri($"/v1/vms/{broken}", UriKind.Relative)));
        Assert.That(brokenVm.GetProperty("status").GetProperty("phase").GetString(), Is.EqualTo("error"));
        Assert.That(brokenVm.GetProperty("status").GetProperty("reason").GetString(), Is.EqualTo("download_failed"));
        var cleanup = await WaitTaskAsync(cluster, await TestCluster.JsonAsync(await cluster.Http.DeleteAsync(new Uri($"/v1/vms/{broken}", UriKind.Relative))));
        Assert.That(cleanup.GetProperty("status").GetString(), Is.EqualTo("success"), cleanup.ToString());

        // The right URL with the wrong checksum: checksum_mismatch, nothing kept.
        var mismatched = "sum-" + Guid.NewGuid().ToString("N")[..6];
        using var wrongSum = await cluster.Http.PostAsJsonAsync("/v1/vms", new { name = mismatched, image_url = new Uri(files.BaseAddress, "fixture-copy.qcow2").ToString(), image_sha256 = new string('a', 64), arch = "amd64", vcpus = 1, memory_mb = 256 });
        var sumTask = await WaitTaskAsync(cluster, await TestCluster.JsonAsync(wrongSum));
        Assert.That(sumTask.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("checksum_mismatch"), sumTask.ToString());
        (await cluster.Http.DeleteAsync(new Uri($"/v1/vms/{mismatched}", UriKind.Relative))).Dispose();
    }

    [Test]
    public async Task ControlPlaneKilledDuringCreate_ResumesTheTask_AndMakesExactlyOneDomain()
    {
        RepoLayout.RequireFixtureImage();
        await using var files = await LoopbackFileServer.StartAsync();
        var image = files.Serve("fixture.qcow2", RepoLayout.FixtureImage);
        files.SetFault("fixture.qcow2", new FileFault.Stall(1024 * 1024)); // the download hangs until released
        await using var cluster = await TestCluster.StartAsync("/var/tmp");
        await using var agent = await LibvirtAgent.StartAsync(cluster, "e2e-crash");
        var name = "crash-" + Guid.NewGuid().ToString("N")[..6];
        agent.Domains.Add(name);

        var accepted = await TestCluster.JsonAsync(await cluster.Http.PostAsJsonAsync("/v1/vms", new { name, image_url = image.ToString(), arch = "amd64", vcpus = 1, memory_mb = 256 }));
        await Poll.UntilAsync(() => Task.FromResult(files.GetCount("fixture.qcow2")), n => n >= 1, TimeSpan.FromSeconds(30), "the agent started downloading");
        await cluster.CrashAndRestartAsync();
        files.ReleaseStalled();
        files.SetFault("fixture.qcow2", null);
        var task = await WaitTaskAsync(cluster, accepted);

        Assert.That(task.GetProperty("status").GetString(), Is.EqualTo("success"), task.ToString());
        Assert.That(task.GetProperty("attempts").GetInt32(), Is.EqualTo(2), "the task ran again after the crash");
        Assert.That(await PhaseAsync(cluster, name), Is.EqualTo("running"));
        var domains = (await FixtureVm.VirshAsync("list", "--all", "--name")).StandardOutput.Split('\n', StringSplitOptions.TrimEntries);
        Assert.That(domains.Count(d => d == $"otx-{name}"), Is.EqualTo(1));
        var deleted = await WaitTaskAsync(cluster, await TestCluster.JsonAsync(await cluster.Http.DeleteAsync(new Uri($"/v1/vms/{name}", UriKind.Relative))));
        Assert.That(deleted.GetProperty("status").GetString(), Is.EqualTo("success"), deleted.ToString());
    }

    [Test]
    public async Task NodeBackFromUnreachable_StartsTheVmsThatShouldRun()
    {
        RepoLayout.RequireFixtureImage();
        await using var files = await LoopbackFileServer.StartAsync();
        var image = files.Serve("fixture.qcow2", RepoLayout.FixtureImage);
        await using var cluster = await TestCluster.StartAsync("/var/tmp");
        await using var agent = await LibvirtAgent.StartAsync(cluster, "e2e-return");
        var name = "back-" + Guid.NewGuid().ToString("N")[..6];
        agent.Domains.Add(name);
        var created = await WaitTaskAsync(cluster, await TestCluster.JsonAsync(await cluster.Http.PostAsJsonAsync("/v1/vms", new { name, image_url = image.ToString(), arch = "amd64", vcpus = 1, memory_mb = 256 })));
        Assert.That(created.GetProperty("status").GetString(), Is.EqualTo("success"), created.ToString());

        // The host "reboots": the agent dies, the node goes unreachable, the domain is off when it comes back.
        agent.Process.Kill();
        await cluster.WaitForStatusAsync("e2e-return", "unreachable", seconds: 20);
        var unreachable = await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri($"/v1/vms/{name}", UriKind.Relative)));
        Assert.That(unreachable.GetProperty("status").GetProperty("reason").GetString(), Is.EqualTo("node_unreachable"));
        await FixtureVm.VirshAsync("destroy", $"otx-{name}");
        await agent.RestartAsync();

        await Poll.UntilAsync(() => DomStateAsync($"otx-{name}"), s => s == "running", TimeSpan.FromSeconds(60), "the VM started again");
        await Poll.UntilAsync(() => PhaseAsync(cluster, name), p => p == "running", TimeSpan.FromSeconds(30), "the control plane sees it running");
    }
}
