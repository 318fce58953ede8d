using System.Text.RegularExpressions;

namespace Otherix.EndToEnd.Tests.Dev;

/// <summary>
/// The seed's dev pipeline as a new user runs it: <c>local-dev-start</c> from scratch (control plane,
/// seed-dev, agent, node ready, default pool, file server), the CLI it configured, a re-run that
/// changes nothing, <c>deploy-dev</c> keeping the node and its certificate, and <c>dev-stop</c>
/// stopping everything by PID file.
/// </summary>
[NonParallelizable]
public sealed class DevPipelineTests
{
    [Test]
    public async Task LocalDevStart_FromScratch_IsReadyAndRerunnable_DeployDevKeepsTheNode_DevStopStopsIt()
    {
        await using var dev = await DevCluster.PrepareAsync();

        var first = await dev.ScriptAsync("local-dev-start.sh");
        Assert.That(first.Exit, Is.Zero, first.Output);
        Assert.That(first.Output, Does.Contain("supervised (no systemd here)"));
        Assert.That(first.Output, Does.Match(@">> seed-dev complete\n   node     : node-dev \(id=[0-9a-f-]{36}\)\n   pool     : " + dev.Pool));
        Assert.That(first.Output, Does.Contain($"./bin/otherix vm create demo-vm --image-url {dev.ImageUrl} --arch amd64"));

        // The CLI cluster seed-dev configured is the current one: no flags, no variables.
        var nodes = await dev.OtherixAsync("node", "list");
        Assert.That(nodes.Output, Does.Match(@"^NAME\s+ARCHITECTURE\s+STATUS\s+CORDONED\s+AGE\nnode-dev\s+amd64\s+ready\s+no\s+\d+[sm]\n$"));

        // Safe to re-run: nothing restarted, the node keeps its certificate.
        var certificate = await File.ReadAllBytesAsync(Path.Combine(dev.StateDir, "certs", "agent.crt"));
        var again = await dev.ScriptAsync("local-dev-start.sh");
        Assert.That(again.Exit, Is.Zero, again.Output);
        Assert.That(again.Output, Does.Contain("control plane already answering").And.Contain("holds its certificate already").And.Contain("agent already running"));

        var deployed = await dev.ScriptAsync("deploy-dev.sh");
        Assert.That(deployed.Exit, Is.Zero, deployed.Output);
        Assert.That(deployed.Output, Does.Contain("agent stopped").And.Contain("node node-dev ready after the redeploy"));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(dev.StateDir, "certs", "agent.crt")), Is.EqualTo(certificate), "the same certificate");

        var pids = dev.Pids();
        Assert.That(pids, Has.Count.EqualTo(3), "api, agent and the file server");
        var stopped = await dev.ScriptAsync("dev-stop.sh");
        Assert.That(stopped.Exit, Is.Zero, stopped.Output);
        Assert.That(Regex.Count(stopped.Output, " stopped"), Is.EqualTo(3), stopped.Output);
        Assert.That(pids.Where(pid => Directory.Exists($"/proc/{pid}")), Is.Empty, "every supervised process is gone");
    }
}
