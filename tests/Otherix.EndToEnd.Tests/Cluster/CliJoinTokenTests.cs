using System.Text.Json;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary>The real <c>otherix</c> CLI against a real control plane, and an agent joining with what it printed.</summary>
public sealed class CliJoinTokenTests
{
    [Test]
    public async Task JoinTokenFromTheCli_LetsAnAgentJoin()
    {
        await using var cluster = await TestCluster.StartAsync();
        var env = new Dictionary<string, string> { ["OTHERIX_SERVER"] = cluster.Http.BaseAddress!.ToString(), ["OTHERIX_API_TOKEN"] = cluster.AdminToken };

        using var cli = ChildProcess.Start("otherix.dll", ["node", "join-token", "create", "--node-name", "cli-node", "--ttl", "10m", "-o", "json"], env);
        Assert.That(await cli.WaitAsync(TimeSpan.FromSeconds(30)), Is.Zero, cli.Output);
        using var printed = JsonDocument.Parse(cli.Output);
        var token = printed.RootElement.GetProperty("token").GetString()!;
        var fingerprint = printed.RootElement.GetProperty("ca_fingerprint").GetString()!;
        var ca = await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri("/v1/ca", UriKind.Relative)));
        Assert.That(fingerprint, Is.EqualTo(ca.GetProperty("fingerprint").GetString()));
        Assert.That(printed.RootElement.GetProperty("expires_at").GetDateTimeOffset() - DateTimeOffset.UtcNow, Is.InRange(TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10)));

        var (config, _) = await cluster.PrepareAgentAsync("cli-node", "libvirt_uri: \"test:///default\"\nserver:\n  listen: 127.0.0.1:0\n");
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(config)!, "bootstrap-token"), token + "\n");
        using var agent = ChildProcess.Start("otherix-agent.dll", ["bootstrap", "--config", config], new Dictionary<string, string>());
        Assert.That(await agent.WaitAsync(TimeSpan.FromSeconds(30)), Is.Zero, agent.Output);
        Assert.That(await cluster.NodeStatusAsync("cli-node"), Is.EqualTo("pending"));
    }

    [Test]
    public async Task ConfigAddCluster_StoresAWorkingApiToken()
    {
        await using var cluster = await TestCluster.StartAsync();
        var configPath = Path.Combine(cluster.Dir.Path, "cli", "config");
        var env = new Dictionary<string, string> { ["OTHERIX_CONFIG"] = configPath, ["OTHERIX_PASSWORD"] = "correct-horse-battery-staple" };

        using (var add = ChildProcess.Start("otherix.dll", ["config", "add", "cluster", "--name", "e2e", "--server", cluster.Http.BaseAddress!.ToString(), "--login", "admin@otherix.test"], env))
        {
            Assert.That(await add.WaitAsync(TimeSpan.FromSeconds(30)), Is.Zero, add.Output);
            Assert.That(add.Output, Does.Contain("cluster e2e added"));
        }

        using var mint = ChildProcess.Start("otherix.dll", ["node", "join-token", "create", "-o", "json"], new Dictionary<string, string> { ["OTHERIX_CONFIG"] = configPath });
        Assert.That(await mint.WaitAsync(TimeSpan.FromSeconds(30)), Is.Zero, mint.Output);
        Assert.That(mint.Output, Does.Contain("otx_join_"));
        var tokens = await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri("/v1/users/me/api-tokens", UriKind.Relative)));
        Assert.That(tokens.GetProperty("data")[0].GetProperty("name").GetString(), Is.EqualTo("otherix-cli e2e"));
    }
}
