using System.Net;
using Otherix.Api.Auth;
using Otherix.Api.Grpc;
using Otherix.Api.Pools;
using Otherix.Api.Tasks;
using Otherix.Control.Tests.Nodes;

namespace Otherix.Control.Tests.Pools;

public sealed class PoolsTests
{
    private static Task<TestApi> StartAsync() => TestApi.StartAsync(
        c => c with { StoragePools = c.StoragePools with { AllowedPathPrefixes = ["/srv/pools/"], DefaultPoolDir = "/srv/pools" } }, kestrel: true);

    [Test]
    public async Task ReadyNode_IsDeclaredTheDefaultPool_AndRegisteredOnes_AndReportsUpdateThem()
    {
        await using var api = await StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");

        var first = await NodeTestKit.HeartbeatAsync(api, cert, "node-a");
        using var created = await api.PostAsync("/v1/storage-pools", new { name = "fast", node = "node-a", path = "/srv/pools/fast" }, admin);
        var second = await NodeTestKit.HeartbeatAsync(
            api, cert, "node-a",
            new PoolReport { Name = "default", ReconciliationStatus = "ready", CapacityBytes = 1000, AvailableBytes = 400, Images = { new CachedImage { Name = "a.qcow2", Sha256 = "ab", SizeBytes = 10 } } },
            new PoolReport { Name = "fast", ReconciliationStatus = "failed", ReconciliationError = "permission denied" });
        var byName = await TestApi.ReadAsync<PoolConceptView>(await api.GetAsync("/v1/storage-pools/default", admin));
        var fast = await TestApi.ReadAsync<PoolConceptView>(await api.GetAsync("/v1/storage-pools/fast", admin));
        var flat = await TestApi.ReadAsync<StoragePool>(await api.GetAsync($"/v1/storage-pools/{byName.Instances[0].Id}", admin));

        Assert.That(first.DeclaredPools.Select(p => (p.Name, p.Path)), Is.EqualTo(new[] { ("default", "/srv/pools/default") }));
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(second.DeclaredPools.Select(p => p.Name), Is.EquivalentTo(new[] { "default", "fast" }));
        Assert.That(byName.IsClusterDefault, Is.True);
        Assert.That(flat.ReconciliationStatus, Is.EqualTo("ready"));
        Assert.That(flat.AvailableBytes, Is.EqualTo(400));
        Assert.That(flat.Images.Single().Name, Is.EqualTo("a.qcow2"));
        Assert.That(fast.Instances.Single().ReconciliationStatus, Is.EqualTo("failed"));
        Assert.That(fast.Instances.Single().ReconciliationError, Is.EqualTo("permission denied"));
    }

    [Test]
    public async Task EffectiveAvailable_SubtractsTheDisksOfVmsPlacedSinceTheLastReport_UntilTheNextOne()
    {
        await using var api = await StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");
        var report = new PoolReport { Name = "default", ReconciliationStatus = "ready", CapacityBytes = 200L << 30, AvailableBytes = 100L << 30 };
        await NodeTestKit.HeartbeatAsync(api, cert, "node-a", report);
        async Task<StoragePool> PoolAsync() => (await TestApi.ReadAsync<PoolConceptView>(await api.GetAsync("/v1/storage-pools/default", admin))).Instances.Single();
        var before = await PoolAsync();

        using var created = await api.PostAsync("/v1/vms", new { name = "big", image_url = "http://127.0.0.1:9/x.qcow2", arch = "amd64", vcpus = 1, memory_mb = 256, disk_gib = 10 }, admin);
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await created.Content.ReadAsStringAsync());
        var pending = await PoolAsync();
        await NodeTestKit.HeartbeatAsync(api, cert, "node-a", report);
        var reported = await PoolAsync();

        Assert.That(before.AvailableBytesEffective, Is.EqualTo(100L << 30));
        Assert.That(pending.AvailableBytesEffective, Is.EqualTo(90L << 30), "the 10 GiB disk is not in the report yet");
        Assert.That(reported.AvailableBytesEffective, Is.EqualTo(100L << 30), "the next report is taken as it is");
    }

    [TestCase("relative/path")]
    [TestCase("/etc/otherix")]
    [TestCase("/srv/pools/../../etc")]
    [TestCase("/srv/pools")]
    [TestCase("/srv/poolsevil/x")]
    public async Task Create_OutsideTheAllowedPrefixes_IsPathNotAllowed(string path)
    {
        await using var api = await StartAsync();
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");

        using var response = await api.PostAsync("/v1/storage-pools", new { name = "p", node = "node-a", path }, await api.TokenForAsync(Role.Admin));

        await TestApi.ExpectErrorAsync(response, HttpStatusCode.BadRequest, "path_not_allowed");
    }

    [Test]
    public async Task Create_OnAnUnknownNode_Is404_AndTwiceOnOneNode_Is409()
    {
        await using var api = await StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");

        await TestApi.ExpectErrorAsync(await api.PostAsync("/v1/storage-pools", new { name = "p", node = "nowhere", path = "/srv/pools/p" }, admin), HttpStatusCode.NotFound, "not_found");
        (await api.PostAsync("/v1/storage-pools", new { name = "p", node = "node-a", path = "/srv/pools/p" }, admin)).Dispose();
        await TestApi.ExpectErrorAsync(await api.PostAsync("/v1/storage-pools", new { name = "p", node = "node-a", path = "/srv/pools/p2" }, admin), HttpStatusCode.Conflict, "conflict");
        await TestApi.ExpectErrorAsync(await api.PostAsync("/v1/storage-pools", new { name = "p", node = "node-a", path = "/srv/pools/p", type = "zfs" }, admin), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Test]
    public async Task DefaultPool_CanBeReadSetAndUnset_OnlyToAnExistingPool()
    {
        await using var api = await StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);
        var viewer = await api.TokenForAsync(Role.Viewer);
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");
        await NodeTestKit.HeartbeatAsync(api, cert, "node-a");
        (await api.PostAsync("/v1/storage-pools", new { name = "fast", node = "node-a", path = "/srv/pools/fast" }, admin)).Dispose();

        var seeded = await TestApi.ReadAsync<DefaultPool>(await api.GetAsync("/v1/cluster/default-pool", viewer));
        await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Put, "/v1/cluster/default-pool", admin, new { name = "nope" }), HttpStatusCode.BadRequest, "pool_not_found");
        await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Put, "/v1/cluster/default-pool", viewer, new { name = "fast" }), HttpStatusCode.Forbidden, "permission_denied");
        var set = await TestApi.ReadAsync<DefaultPool>(await api.SendAsync(HttpMethod.Put, "/v1/cluster/default-pool", admin, new { name = "fast" }));
        var fast = await TestApi.ReadAsync<PoolConceptView>(await api.GetAsync("/v1/storage-pools/fast", viewer));
        (await api.SendAsync(HttpMethod.Delete, "/v1/cluster/default-pool", admin)).Dispose();

        Assert.That(seeded.Name, Is.EqualTo("default"));
        Assert.That(set.Name, Is.EqualTo("fast"));
        Assert.That(fast.IsClusterDefault, Is.True);
        await TestApi.ExpectErrorAsync(await api.GetAsync("/v1/cluster/default-pool", viewer), HttpStatusCode.NotFound, "not_found");
        using var again = await api.SendAsync(HttpMethod.Delete, "/v1/cluster/default-pool", admin);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "unset is idempotent");
    }

    [Test]
    public async Task PoolOnSeveralNodes_IsAmbiguousByNameAlone_AndDeleteNeedsItsAgent()
    {
        await using var api = await StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);
        using var a = await NodeTestKit.JoinNodeAsync(api, "node-a");
        using var b = await NodeTestKit.JoinNodeAsync(api, "node-b");
        await NodeTestKit.HeartbeatAsync(api, a, "node-a");
        await NodeTestKit.HeartbeatAsync(api, b, "node-b");

        var list = await TestApi.ReadAsync<Otherix.Api.Common.ListResponse<StoragePool>>(await api.GetAsync("/v1/storage-pools", admin));
        var onA = await TestApi.ReadAsync<Otherix.Api.Common.ListResponse<StoragePool>>(await api.GetAsync("/v1/storage-pools?node=node-a", admin));
        var ambiguous = await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Delete, "/v1/storage-pools/default", admin), HttpStatusCode.Conflict, "pool_name_ambiguous");
        // No agent runs at node-a's advertised endpoint: the control plane says so and keeps the pool.
        await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Delete, "/v1/storage-pools/default?node=node-a", admin), HttpStatusCode.BadGateway, "agent_unreachable");

        Assert.That(list.Data.Select(p => p.Node), Is.EquivalentTo(new[] { "node-a", "node-b" }));
        Assert.That(onA.Data.Single().Node, Is.EqualTo("node-a"));
        Assert.That(ambiguous.GetProperty("details").GetProperty("nodes").GetArrayLength(), Is.EqualTo(2));
        Assert.That(api.Store.Pools.FindByName("default"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Scan_OfAPoolWhoseAgentIsDown_FailsWithAgentUnreachable()
    {
        await using var api = await StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");
        await NodeTestKit.HeartbeatAsync(api, cert, "node-a");

        using var accepted = await api.SendAsync(HttpMethod.Post, "/v1/storage-pools/default/scan", admin);
        var task = await TestApi.ReadAsync<Otherix.Api.Common.TaskAccepted>(accepted);
        var done = await Otherix.Testing.Poll.UntilAsync(
            async () => await TestApi.ReadAsync<TaskInfo>(await api.GetAsync($"/v1/tasks/{task.TaskId}", admin)),
            t => t.Status is TaskState.Failed or TaskState.Success, TimeSpan.FromSeconds(30), "scan task");

        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(done.Type, Is.EqualTo(PoolScanHandlerType));
        Assert.That(done.Error!.Code, Is.EqualTo("agent_unreachable"));
    }

    private static string PoolScanHandlerType => Otherix.Control.Pools.PoolScanHandler.TaskType;
}
