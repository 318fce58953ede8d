using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Otherix.Api.Auth;
using Otherix.Api.Common;
using Otherix.Api.Tasks;
using Otherix.Api.Vms;
using Otherix.Control.Tests.Nodes;

namespace Otherix.Control.Tests.Vms;

/// <summary>VM requests against an in-process control plane whose nodes are played by the test (no agent answers).</summary>
public sealed class VmsTests
{
    private static async Task<TestApi> StartWithNodeAsync(params string[] nodes)
    {
        var api = await TestApi.StartAsync(c => c with { StoragePools = c.StoragePools with { AllowedPathPrefixes = ["/srv/pools/"], DefaultPoolDir = "/srv/pools" } }, kestrel: true);
        foreach (var node in nodes)
        {
            using var cert = await NodeTestKit.JoinNodeAsync(api, node);
            await NodeTestKit.HeartbeatAsync(api, cert, node);
        }

        return api;
    }

    private static object Vm(string name, object? extra = null) => extra ?? new { name, image_url = "http://127.0.0.1:9/fixture.qcow2", arch = "amd64", vcpus = 1, memory_mb = 256 };

    [Test]
    public async Task NodeEffectiveFigures_SubtractTheVmsPlacedSinceTheLastHeartbeat()
    {
        await using var api = await TestApi.StartAsync(c => c with { StoragePools = c.StoragePools with { AllowedPathPrefixes = ["/srv/pools/"], DefaultPoolDir = "/srv/pools" } }, kestrel: true);
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");
        await NodeTestKit.HeartbeatAsync(api, cert, "node-a");
        var admin = await api.TokenForAsync(Role.Admin);
        async Task<Otherix.Api.Nodes.Node> NodeAsync() => await TestApi.ReadAsync<Otherix.Api.Nodes.Node>(await api.GetAsync("/v1/nodes/node-a", admin));
        var before = await NodeAsync();

        (await api.PostAsync("/v1/vms", new { name = "web", image_url = "http://127.0.0.1:9/x.qcow2", arch = "amd64", vcpus = 2, memory_mb = 512 }, admin)).Dispose();
        var placed = await NodeAsync();
        await NodeTestKit.HeartbeatAsync(api, cert, "node-a");
        var reported = await NodeAsync();

        Assert.That((before.CpuCoresEffective, before.MemoryEffectiveMib), Is.EqualTo((6, 8000L)));
        Assert.That((placed.CpuCoresEffective, placed.MemoryEffectiveMib), Is.EqualTo((4, 7488L)), "the new VM is not in the heartbeat's figures yet");
        Assert.That((reported.CpuCoresEffective, reported.MemoryEffectiveMib), Is.EqualTo((6, 8000L)), "the next heartbeat is taken as it is");
    }

    [Test]
    public async Task Create_ChecksEveryFieldAtOnce()
    {
        await using var api = await StartWithNodeAsync("node-a");

        using var response = await api.PostAsync("/v1/vms", new { name = "Bad_Name", image_url = "ftp://x", arch = "sparc", vcpus = 0, memory_mb = 1, user_data = "\u0001binary" }, await api.TokenForAsync(Role.Admin));

        var error = await TestApi.ExpectErrorAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        var fields = error.GetProperty("details").GetProperty("fields");
        foreach (var field in new[] { "name", "image_url", "arch", "vcpus", "memory_mb", "user_data" })
        {
            Assert.That(fields.TryGetProperty(field, out _), Is.True, field);
        }
    }

    [Test]
    public async Task Create_WithAUuidForAName_IsRefused()
    {
        await using var api = await StartWithNodeAsync("node-a");

        using var response = await api.PostAsync("/v1/vms", Vm(Guid.NewGuid().ToString()), await api.TokenForAsync(Role.Admin));

        var error = await TestApi.ExpectErrorAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.That(error.GetProperty("details").GetProperty("fields").GetProperty("name").GetString(), Does.Contain("UUID"));
    }

    [Test]
    public async Task Create_WithNoPoolAndNoDefault_IsDefaultPoolNotSet()
    {
        await using var api = await StartWithNodeAsync("node-a");
        var admin = await api.TokenForAsync(Role.Admin);
        (await api.SendAsync(HttpMethod.Delete, "/v1/cluster/default-pool", admin)).Dispose();

        await TestApi.ExpectErrorAsync(await api.PostAsync("/v1/vms", Vm("web"), admin), HttpStatusCode.BadRequest, "default_pool_not_set");
        await TestApi.ExpectErrorAsync(
            await api.PostAsync("/v1/vms", new { name = "web", image_url = "http://127.0.0.1:9/x", arch = "amd64", pool = "nope" }, admin), HttpStatusCode.BadRequest, "pool_not_found");
    }

    [Test]
    public async Task Placement_RefusesCordonedNodes_UnknownPoolHosts_AndTooBigVms()
    {
        await using var api = await StartWithNodeAsync("node-a", "node-b");
        var admin = await api.TokenForAsync(Role.Admin);
        (await api.PostAsync("/v1/storage-pools", new { name = "fast", node = "node-a", path = "/srv/pools/fast" }, admin)).Dispose();

        var notOnNode = await TestApi.ExpectErrorAsync(
            await api.PostAsync("/v1/vms", new { name = "w1", image_url = "http://127.0.0.1:9/x", arch = "amd64", pool = "fast", node = "node-b" }, admin),
            HttpStatusCode.Conflict, "pool_not_on_node");
        var tooBig = await TestApi.ExpectErrorAsync(
            await api.PostAsync("/v1/vms", new { name = "w2", image_url = "http://127.0.0.1:9/x", arch = "amd64", vcpus = 64 }, admin), HttpStatusCode.Conflict, "no_eligible_nodes");
        (await api.SendAsync(HttpMethod.Post, "/v1/nodes/node-a/cordon", admin)).Dispose();
        await TestApi.ExpectErrorAsync(
            await api.PostAsync("/v1/vms", new { name = "w3", image_url = "http://127.0.0.1:9/x", arch = "amd64", pool = "fast" }, admin), HttpStatusCode.Conflict, "no_eligible_nodes");
        var noArm = await TestApi.ExpectErrorAsync(
            await api.PostAsync("/v1/vms", new { name = "w4", image_url = "http://127.0.0.1:9/x", arch = "arm64" }, admin), HttpStatusCode.BadRequest, "validation_failed");
        Assert.That(noArm.GetProperty("details").GetProperty("fields").GetProperty("arch").GetString(), Does.Contain("no node"));

        Assert.That(notOnNode.GetProperty("details").GetProperty("pool_nodes")[0].GetString(), Is.EqualTo("node-a"));
        Assert.That(tooBig.GetProperty("details").GetProperty("reason").GetString(), Is.EqualTo("insufficient_resources"));
        Assert.That(tooBig.GetProperty("details").GetProperty("node_utilization").GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task Placement_PrefersTheLeastAllocatedNode()
    {
        await using var api = await StartWithNodeAsync("node-a", "node-b");
        var admin = await api.TokenForAsync(Role.Admin);

        var first = await TestApi.ReadAsync<VmTaskAccepted>(await api.PostAsync("/v1/vms", new { name = "v1", image_url = "http://127.0.0.1:9/x", arch = "amd64", vcpus = 4, memory_mb = 4096 }, admin));
        var second = await TestApi.ReadAsync<VmTaskAccepted>(await api.PostAsync("/v1/vms", new { name = "v2", image_url = "http://127.0.0.1:9/x", arch = "amd64", vcpus = 1, memory_mb = 512 }, admin));

        Assert.That(first.Vm.Node, Is.EqualTo("node-a"), "a tie goes to the lower name");
        Assert.That(second.Vm.Node, Is.EqualTo("node-b"), "then the emptier node");
    }

    [Test]
    public async Task VmOnANodeWithoutItsAgent_FailsAgentUnreachable_InTheTaskAndTheVm()
    {
        await using var api = await StartWithNodeAsync("node-a");
        var admin = await api.TokenForAsync(Role.Admin);

        var accepted = await TestApi.ReadAsync<VmTaskAccepted>(await api.PostAsync("/v1/vms", Vm("web"), admin));
        var task = await Otherix.Testing.Poll.UntilAsync(
            async () => await TestApi.ReadAsync<TaskInfo>(await api.GetAsync($"/v1/tasks/{accepted.TaskId}", admin)),
            t => t.Status is TaskState.Failed or TaskState.Success, TimeSpan.FromSeconds(30), "create task");
        var vm = await TestApi.ReadAsync<Vm>(await api.GetAsync("/v1/vms/web", admin));

        Assert.That(task.Error!.Code, Is.EqualTo("agent_unreachable"));
        Assert.That(vm.Status.Phase, Is.EqualTo("error"));
        Assert.That(vm.Status.Reason, Is.EqualTo("agent_unreachable"));
        await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Post, "/v1/vms/web/start", admin), HttpStatusCode.Conflict, "conflict");
    }

    [Test]
    public async Task Developers_SeeAndActOnTheirOwnVmsOnly_ViewersRead()
    {
        await using var api = await StartWithNodeAsync("node-a");
        var developer = await api.TokenForAsync(Role.Developer);
        var viewer = await api.TokenForAsync(Role.Viewer);
        var operatorToken = await api.TokenForAsync(Role.Operator);
        (await api.PostAsync("/v1/vms", Vm("theirs"), operatorToken)).Dispose();
        (await api.PostAsync("/v1/vms", Vm("mine"), developer)).Dispose();

        var developerList = await TestApi.ReadAsync<ListResponse<Vm>>(await api.GetAsync("/v1/vms", developer));
        var viewerList = await TestApi.ReadAsync<ListResponse<Vm>>(await api.GetAsync("/v1/vms", viewer));

        Assert.That(developerList.Data.Select(v => v.Name), Is.EqualTo(new[] { "mine" }));
        Assert.That(viewerList.Data.Select(v => v.Name), Is.EquivalentTo(new[] { "theirs", "mine" }));
        await TestApi.ExpectErrorAsync(await api.GetAsync("/v1/vms/theirs", developer), HttpStatusCode.NotFound, "vm_not_found");
        await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Delete, "/v1/vms/theirs", developer), HttpStatusCode.NotFound, "vm_not_found");
        await TestApi.ExpectErrorAsync(await api.PostAsync("/v1/vms", Vm("viewers-vm"), viewer), HttpStatusCode.Forbidden, "permission_denied");
        await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Delete, "/v1/vms/mine", viewer), HttpStatusCode.Forbidden, "permission_denied");
    }

    [Test]
    public async Task NodeWithVms_CannotBeDeletedWithoutForce_AndItsVmsShowNodeUnreachable()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var api = await TestApi.StartAsync(
            c => c with { StoragePools = c.StoragePools with { AllowedPathPrefixes = ["/srv/pools/"], DefaultPoolDir = "/srv/pools" }, Workers = c.Workers with { Enabled = false } }, time, kestrel: true);
        var admin = await api.TokenForAsync(Role.Admin);
        using (var cert = await NodeTestKit.JoinNodeAsync(api, "node-a"))
        {
            await NodeTestKit.HeartbeatAsync(api, cert, "node-a");
        }

        (await api.PostAsync("/v1/vms", Vm("web"), admin)).Dispose();
        api.Store.Vms.Update(api.Store.Vms.FindByName("web")!.Id, v => v.Phase = "running");
        time.Advance(TimeSpan.FromMinutes(5));
        api.App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Otherix.Control.Nodes.NodeLivenessWorker>().Single().Check();

        var vm = await TestApi.ReadAsync<Vm>(await api.GetAsync("/v1/vms/web", admin));
        var blocked = await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Delete, "/v1/nodes/node-a", admin), HttpStatusCode.Conflict, "conflict");
        using var forced = await api.SendAsync(HttpMethod.Delete, "/v1/nodes/node-a?force=true", admin);

        Assert.That(vm.Status.Phase, Is.EqualTo("unknown"));
        Assert.That(vm.Status.Reason, Is.EqualTo("node_unreachable"));
        Assert.That(blocked.GetProperty("details").GetProperty("blocking_resources").GetProperty("vms").GetInt32(), Is.EqualTo(1));
        Assert.That(forced.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task TenConcurrentCreates_OnOneNode_NeverPlaceMoreThanItsCapacity()
    {
        await using var api = await StartWithNodeAsync("node-a"); // 8 cores, 16384 MiB as the test agent reports
        var admin = await api.TokenForAsync(Role.Admin);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
        {
            using var response = await api.PostAsync("/v1/vms", new { name = $"c{i}", image_url = "http://127.0.0.1:9/x", arch = "amd64", vcpus = 2, memory_mb = 1024 }, admin);
            return response.StatusCode;
        })));

        Assert.That(statuses.Count(s => s == HttpStatusCode.Accepted), Is.EqualTo(4), "8 cores fit four 2-vCPU VMs");
        Assert.That(statuses.Where(s => s != HttpStatusCode.Accepted), Is.All.EqualTo(HttpStatusCode.Conflict));
        Assert.That(api.Store.Vms.OnNode("node-a").Sum(v => v.Vcpus), Is.EqualTo(8));
    }

    [Test]
    public async Task PoolWithVmDisks_CannotBeDeleted()
    {
        await using var api = await StartWithNodeAsync("node-a");
        var admin = await api.TokenForAsync(Role.Admin);
        (await api.PostAsync("/v1/vms", Vm("web"), admin)).Dispose();

        var error = await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Delete, "/v1/storage-pools/default", admin), HttpStatusCode.Conflict, "conflict");

        Assert.That(error.GetProperty("details").GetProperty("blocking_resources").GetProperty("vm_disks").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task TaskForAVmWhoseNodeStoppedHeartbeating_FailsNodeNotReady()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var api = await TestApi.StartAsync(
            c => c with { StoragePools = c.StoragePools with { AllowedPathPrefixes = ["/srv/pools/"], DefaultPoolDir = "/srv/pools" } }, time, kestrel: true);
        var admin = await api.TokenForAsync(Role.Admin);
        using (var cert = await NodeTestKit.JoinNodeAsync(api, "node-a"))
        {
            await NodeTestKit.HeartbeatAsync(api, cert, "node-a");
        }

        var web = api.Store.Vms;
        (await api.PostAsync("/v1/vms", Vm("web"), admin)).Dispose();
        await Otherix.Testing.Poll.UntilAsync(() => Task.FromResult(web.FindByName("web")!.Phase), p => p == "error", TimeSpan.FromSeconds(30), "first create fails (no agent)");
        web.Update(web.FindByName("web")!.Id, v => v.Phase = "stopped");
        time.Advance(TimeSpan.FromMinutes(5));
        api.App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Otherix.Control.Nodes.NodeLivenessWorker>().Single().Check();

        var accepted = await TestApi.ReadAsync<VmTaskAccepted>(await api.SendAsync(HttpMethod.Post, "/v1/vms/web/start", admin));
        var task = await Otherix.Testing.Poll.UntilAsync(
            async () => await TestApi.ReadAsync<TaskInfo>(await api.GetAsync($"/v1/tasks/{accepted.TaskId}", admin)),
            t => t.Status is TaskState.Failed or TaskState.Success, TimeSpan.FromSeconds(30), "start task");

        Assert.That(task.Error!.Code, Is.EqualTo("node_not_ready"));
        Assert.That(task.Error.Message, Does.Contain("unreachable"));
    }
}
