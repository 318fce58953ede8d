using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary><c>otherix node|pool|cluster</c> against a real control plane and an agent (on libvirt's test driver).</summary>
public sealed class CliFleetTests
{
    [Test]
    public async Task NodePoolAndClusterCommands_WorkAsTyped()
    {
        await using var cluster = await TestCluster.StartAsync();
        var endpoint = $"127.0.0.1:{TestCluster.FreePort()}";
        var (config, _) = await cluster.PrepareAgentAsync("cli-fleet", $"libvirt_uri: \"test:///default\"\nserver:\n  listen: {endpoint}\n  advertised_endpoint: {endpoint}\n");
        using var agent = ChildProcess.Start("otherix-agent.dll", ["--config", config], new Dictionary<string, string>());
        await cluster.WaitForStatusAsync("cli-fleet", "ready", agent);
        var env = new Dictionary<string, string> { ["OTHERIX_SERVER"] = cluster.Http.BaseAddress!.ToString(), ["OTHERIX_API_TOKEN"] = cluster.AdminToken };
        async Task<string> OtherixAsync(int expectedExit, params string[] args)
        {
            using var cli = ChildProcess.Start("otherix.dll", args, env);
            Assert.That(await cli.WaitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(expectedExit), $"otherix {string.Join(' ', args)}: {cli.Output}");
            return cli.Output;
        }

        Assert.That(await OtherixAsync(0, "node", "list"), Does.Match(@"NAME\s+ARCHITECTURE\s+STATUS\s+CORDONED\s+AGE").And.Match(@"cli-fleet\s+amd64\s+ready\s+no\s+\d+[smhd]"));
        Assert.That(await OtherixAsync(0, "node", "get", "cli-fleet"), Does.Contain("name: cli-fleet").And.Contain("status: ready"));
        Assert.That(await OtherixAsync(0, "node", "cordon", "cli-fleet"), Does.Contain("node cli-fleet cordoned"));
        Assert.That(await OtherixAsync(0, "node", "list", "--status", "ready"), Does.Match(@"cli-fleet\s+amd64\s+ready\s+yes"));
        Assert.That(await OtherixAsync(0, "node", "uncordon", "cli-fleet"), Does.Contain("node cli-fleet uncordoned"));

        var fastPath = Path.Combine(cluster.Dir.Path, "pools", "fast");
        Assert.That(await OtherixAsync(0, "pool", "create", "fast", "--node", "cli-fleet", "--path", fastPath), Does.Contain("pool fast created on node cli-fleet").And.Contain($"path: {fastPath}"));
        Assert.That(await OtherixAsync(1, "pool", "create", "bad", "--node", "cli-fleet", "--path", "/etc"), Does.Contain("error: api_error: path_not_allowed:"));
        Assert.That(await OtherixAsync(0, "pool", "list"), Does.Match(@"NAME\s+NODE\s+TYPE\s+PATH\s+STATUS\s+AVAILABLE\s+DEFAULT\s+AGE").And.Match($@"{TestCluster.DefaultPoolName}\s+cli-fleet\s+local_dir\s+\S+\s+\w+\s+\S+\s+yes"));
        Assert.That(await OtherixAsync(0, "pool", "get", "fast"), Does.Contain("name: fast").And.Contain("instances:").And.Contain("node: cli-fleet"));

        Assert.That(await OtherixAsync(0, "cluster", "get-default-pool"), Does.Contain($"default-pool: {TestCluster.DefaultPoolName}"));
        Assert.That(await OtherixAsync(0, "cluster", "set-default-pool", "fast"), Does.Contain("default-pool: fast"));
        Assert.That(await OtherixAsync(1, "cluster", "unset-default-pool"), Does.Contain("--force"));
        Assert.That(await OtherixAsync(0, "cluster", "unset-default-pool", "--force"), Does.Contain("default-pool unset"));
        Assert.That(await OtherixAsync(0, "cluster", "get-default-pool"), Does.Contain("default-pool: (unset)"));

        Assert.That(await OtherixAsync(0, "pool", "scan", "fast"), Does.Match(@"scan task=\S+ status=pending"));
        Assert.That(await OtherixAsync(0, "pool", "delete", "fast", "--force"), Does.Contain("pool fast deleted"));
        Assert.That(await OtherixAsync(0, "pool", "list", "-o", "json"), Does.Contain("\"data\":[").And.Not.Contain("\"name\":\"fast\""));
        await agent.StopAsync(TimeSpan.FromSeconds(30));
    }
}
