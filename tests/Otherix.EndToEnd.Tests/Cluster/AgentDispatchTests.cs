extern alias api;

using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Otherix.Api.Grpc;
using Otherix.Testing;
using AgentConnections = api::Otherix.Control.Agents.AgentConnections;
using AgentUnreachableException = api::Otherix.Control.Agents.AgentUnreachableException;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary>The control plane's agent client drives a real agent process over mTLS gRPC, on the real libvirtd.</summary>
public sealed class AgentDispatchTests
{
    [Test]
    public async Task CreateVm_RepeatedWithTheSameTaskId_MakesOneDomain_AndOnlyTheControlPlaneGetsIn()
    {
        LibvirtHost.RequireSystem();
        RepoLayout.RequireFixtureImage();
        await using var files = await LoopbackFileServer.StartAsync();
        var image = files.Serve("fixture.qcow2", RepoLayout.FixtureImage);
        await using var cluster = await TestCluster.StartAsync("/var/tmp");
        // The default pool is declared with the first heartbeat; the agent creates it and reports it ready with its figures.
        await using var agent = await LibvirtAgent.StartAsync(cluster, "e2e-dispatch");
        var endpoint = agent.Endpoint;
        var config = agent.Config;
        var defaultPool = await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri($"/v1/storage-pools/{TestCluster.DefaultPoolName}", UriKind.Relative)));
        var instance = defaultPool.GetProperty("instances")[0];
        Assert.That(instance.GetProperty("reconciliation_status").GetString(), Is.EqualTo("ready"), instance.ToString());
        Assert.That(instance.GetProperty("capacity_bytes").GetInt64(), Is.GreaterThan(0));
        Assert.That(defaultPool.GetProperty("is_cluster_default").GetBoolean(), Is.True);
        Assert.That((await FixtureVm.VirshAsync("pool-info", $"otx-{TestCluster.DefaultPoolName}")).StandardOutput, Does.Contain("running"));

        using var ca = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(cluster.ControlDataDir, "ca", "cluster-ca.crt"))).RawData);
        using var replicaPem = X509Certificate2.CreateFromPemFile(Path.Combine(cluster.ControlDataDir, "certs", "cp-cert.crt"), Path.Combine(cluster.ControlDataDir, "certs", "cp-cert.key"));
        using var replica = X509CertificateLoader.LoadPkcs12(replicaPem.Export(X509ContentType.Pkcs12), null);
        using var agents = new AgentConnections(ca, replica) { CallTimeout = TimeSpan.FromMinutes(3) };
        var pool = "e2e" + Guid.NewGuid().ToString("N")[..6];
        var poolPath = Path.Combine(cluster.Dir.Path, "pool");
        var vmId = Guid.NewGuid();
        var name = "e2e-" + vmId.ToString("N")[..8];
        agent.Domains.Add(name);
        agent.Pools.Add(pool);
        var ensured = await agents.CallAsync("e2e-dispatch", endpoint, (c, o) => c.EnsurePoolAsync(new EnsurePoolRequest { Name = pool, Path = poolPath }, o), CancellationToken.None);
        Assert.That(ensured.ReconciliationStatus, Is.EqualTo("ready"));

        var create = new CreateVmRequest { TaskId = "task-create-1", VmId = vmId.ToString(), Name = name, Pool = pool, ImageUrl = image.ToString(), MemoryMib = 256, Vcpus = 1 };
        // The first call returns at once (as if the control plane timed out waiting); the retry joins the same run.
        var first = await agents.CallAsync("e2e-dispatch", endpoint, (c, o) => c.CreateVmAsync(create, o), CancellationToken.None);
        var retried = await agents.CallAsync("e2e-dispatch", endpoint, (c, o) => c.CreateVmAsync(new CreateVmRequest(create) { WaitSeconds = 150 }, o), CancellationToken.None);
        var again = await agents.CallAsync("e2e-dispatch", endpoint, (c, o) => c.CreateVmAsync(create, o), CancellationToken.None);
        var task = await agents.CallAsync("e2e-dispatch", endpoint, (c, o) => c.GetTaskAsync(new GetTaskRequest { TaskId = "task-create-1" }, o), CancellationToken.None);

        Assert.That(first.State, Is.AnyOf("running", "success"));
        Assert.That(retried.State, Is.EqualTo("success"), $"{retried.ErrorCode}: {retried.ErrorMessage}");
        Assert.That(retried.Vm.State, Is.EqualTo("running"));
        Assert.That(again.State, Is.EqualTo("success"));
        Assert.That(task.State, Is.EqualTo("success"));
        var domains = (await FixtureVm.VirshAsync("list", "--all", "--name")).StandardOutput.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.That(domains.Count(d => d == $"otx-{name}"), Is.EqualTo(1), "one domain however often the task was sent");
        var volumes = (await FixtureVm.VirshAsync("vol-list", $"otx-{pool}")).StandardOutput;
        Assert.That(volumes.Split('\n').Count(l => l.Contains(vmId.ToString(), StringComparison.Ordinal) && l.Contains(".qcow2", StringComparison.Ordinal)), Is.EqualTo(1), volumes);
        Assert.That(files.GetCount("fixture.qcow2"), Is.EqualTo(1), "the image was downloaded once");

        // The agent's identity is checked: reached as another node, the call fails as unreachable.
        var wrongNode = Assert.ThrowsAsync<AgentUnreachableException>(() =>
            agents.CallAsync("other-node", endpoint, (c, o) => c.GetVmAsync(new GetVmRequest { VmId = vmId.ToString() }, o), CancellationToken.None))!;
        Assert.That(wrongNode.Message, Does.Contain("other-node"));

        // Only the control plane gets in: the node's own certificate (a cluster certificate, not the control plane's) is refused.
        var agentDir = Path.GetDirectoryName(config)!;
        using var nodePem = X509Certificate2.CreateFromPemFile(Path.Combine(agentDir, "state", "certs", "agent.crt"), Path.Combine(agentDir, "state", "certs", "agent.key"));
        using var nodeCert = X509CertificateLoader.LoadPkcs12(nodePem.Export(X509ContentType.Pkcs12), null);
        using var intruder = GrpcChannel.ForAddress($"https://{endpoint}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new System.Net.Security.SslClientAuthenticationOptions
                {
                    ClientCertificates = [nodeCert],
                    RemoteCertificateValidationCallback = (_, c, _, _) => c is X509Certificate2 x && Otherix.Api.Security.ClusterTrust.CheckChain(x, ca, Otherix.Api.Security.ClusterTrust.ServerAuth) is null,
                },
            },
        });
        Assert.CatchAsync<RpcException>(async () => await new Agent.AgentClient(intruder).GetVmAsync(new GetVmRequest { VmId = vmId.ToString() }));

        var deleted = await agents.CallAsync("e2e-dispatch", endpoint, (c, o) => c.DeleteVmAsync(new DeleteVmRequest { TaskId = "task-delete-1", VmId = vmId.ToString(), Force = true, WaitSeconds = 120 }, o), CancellationToken.None);
        Assert.That(deleted.State, Is.EqualTo("success"), deleted.ErrorMessage);
        Assert.That((await FixtureVm.VirshAsync("list", "--all", "--name")).StandardOutput, Does.Not.Contain($"otx-{name}"));
    }
}
