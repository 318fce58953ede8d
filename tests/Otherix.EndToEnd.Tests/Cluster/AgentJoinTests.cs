using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary>A real agent process joins a real control-plane process over loopback and heartbeats.</summary>
public sealed class AgentJoinTests
{
    [Test]
    public async Task Agent_BootstrapsWithAPinnedCa_ReachesReady_AndComesBackAfterAKill()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (config, fingerprint) = await cluster.PrepareAgentAsync("e2e-node", "libvirt_uri: \"test:///default\"\nserver:\n  listen: 127.0.0.1:0\n  advertised_endpoint: 127.0.0.1:9443\n");

        // A wrong pin: the agent refuses, writes nothing, and the single-use token stays unused.
        var wrongPin = "sha256:" + new string('0', 64);
        await cluster.WriteBootstrapEnvAsync("e2e-node", wrongPin);
        using (var refused = ChildProcess.Start("otherix-agent.dll", ["bootstrap", "--config", config], new Dictionary<string, string>()))
        {
            Assert.That(await refused.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(1), refused.Output);
            Assert.That(refused.Output, Does.Contain($"bootstrap: CA fingerprint mismatch (expected {wrongPin} got {fingerprint})"));
        }

        var certs = Path.Combine(Path.GetDirectoryName(config)!, "state", "certs");
        Assert.That(Directory.Exists(certs), Is.False, "nothing written after a pin mismatch");

        await cluster.WriteBootstrapEnvAsync("e2e-node", fingerprint);
        using (var agent = ChildProcess.Start("otherix-agent.dll", ["--config", config], new Dictionary<string, string>()))
        {
            await cluster.WaitForStatusAsync("e2e-node", "ready", agent);
            Assert.That(await agent.WaitForOutputAsync("agent: heartbeat accepted", TimeSpan.FromSeconds(10)), Does.Contain("agent: bootstrap complete").And.Contain("agent: heartbeat accepted"));
            var node = await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri("/v1/nodes/e2e-node", UriKind.Relative)));
            Assert.That(node.GetProperty("cpu_cores_total").GetInt32(), Is.EqualTo(Environment.ProcessorCount));
            Assert.That(node.GetProperty("memory_total_mib").GetInt64(), Is.GreaterThan(0));
            Assert.That(File.GetUnixFileMode(Path.Combine(certs, "agent.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            agent.Kill();
        }

        await cluster.WaitForStatusAsync("e2e-node", "unreachable", seconds: 20);

        using (var again = ChildProcess.Start("otherix-agent.dll", ["--config", config], new Dictionary<string, string>()))
        {
            await cluster.WaitForStatusAsync("e2e-node", "ready", again);
            Assert.That(await again.WaitForOutputAsync("agent: using existing cert material", TimeSpan.FromSeconds(10)), Does.Contain("agent: using existing cert material"));
            Assert.That(await again.StopAsync(TimeSpan.FromSeconds(30)), Is.Zero, again.Output);
        }

        Assert.That(await cluster.Api.StopAsync(TimeSpan.FromSeconds(30)), Is.Zero, cluster.Api.Output);
    }
}
