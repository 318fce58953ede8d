using System.Text.RegularExpressions;
using Otherix.EndToEnd.Tests.Cluster;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Dev;

/// <summary>
/// The seed's dev pipeline as a new user runs it: <c>dev/scripts/local-dev-start.sh</c> from scratch
/// (control plane, seed-dev, agent, node ready, default pool, file server), the CLI it configured,
/// a re-run that changes nothing, <c>deploy-dev</c> keeping the node and its certificate, and
/// <c>dev-stop</c> stopping everything by PID file. Everything is moved to free loopback ports and
/// temporary directories through the scripts' variables, so a developer's own dev cluster is untouched.
/// </summary>
[NonParallelizable]
public sealed class DevPipelineTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Test]
    public async Task LocalDevStart_FromScratch_IsReadyAndRerunnable_DeployDevKeepsTheNode_DevStopStopsIt()
    {
        LibvirtHost.RequireSystem();
        RepoLayout.RequireFixtureImage();
        HostRequirement.Require("tools of the dev scripts", new[] { "jq", "curl", "busybox", "setsid" }.FirstOrDefault(t => !OnPath(t)) is { } missing ? $"{missing} is not installed (tools/host/setup.sh)" : null);

        // qemu must traverse the state and pool directories.
        using var dir = new TempDirectory("/var/tmp", "otx-devpipe-", (UnixFileMode)0b111_101_101);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var pool = $"devp-{suffix}";
        var vm = $"devvm-{suffix}";
        var (apiPort, agentListener, agentPort, filesPort) = (TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort());
        var bin = Directory.CreateDirectory(Path.Combine(dir.Path, "bin")).FullName;
        foreach (var (name, dll) in new[] { ("otherix", "otherix.dll"), ("otherix-api", "otherix-api.dll"), ("otherix-agent", "otherix-agent.dll") })
        {
            var wrapper = Path.Combine(bin, name);
            await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet {Path.Combine(AppContext.BaseDirectory, dll)} \"$@\"\n");
            File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);
        }

        var apiConfig = Path.Combine(dir.Path, "api.yaml");
        await File.WriteAllTextAsync(apiConfig, $"""
            server: {"{"} listen: "127.0.0.1:{apiPort}" {"}"}
            logger: {"{"} level: info, format: text {"}"}
            store: {"{"} data_dir: "{dir.Path}/control" {"}"}
            agent_server: {"{"} listen: "127.0.0.1:{agentListener}" {"}"}
            workers: {"{"} heartbeat: {"{"} interval: 2s, stale_threshold: 10s {"}"} {"}"}
            storage_pools:
              allowed_path_prefixes: ["{dir.Path}/pools/"]
              default_pool_name: {pool}
              default_pool_dir: "{dir.Path}/pools"
            """);
        var agentDir = Directory.CreateDirectory(Path.Combine(dir.Path, "agent")).FullName;
        await File.WriteAllTextAsync(Path.Combine(agentDir, "agent.yaml"), $"""
            state_dir: {dir.Path}/state
            acceleration: tcg
            server:
              listen: 127.0.0.1:{agentPort}
              advertised_endpoint: 127.0.0.1:{agentPort}
            control_plane:
              heartbeat_interval: 1s
            """);
        var env = new Dictionary<string, string>
        {
            ["OTHERIX_DEV_API_CONFIG"] = apiConfig,
            ["OTHERIX_DEV_SERVER"] = $"http://127.0.0.1:{apiPort}",
            ["OTHERIX_BOOTSTRAP__CP_URL"] = $"https://127.0.0.1:{agentListener}",
            ["OTHERIX_DEV_AGENT_DIR"] = agentDir,
            ["OTHERIX_DEV_AGENT_LISTEN"] = $"127.0.0.1:{agentPort}",
            ["OTHERIX_DEV_FILES_LISTEN"] = $"127.0.0.1:{filesPort}",
            ["OTHERIX_DEV_RUN_DIR"] = Path.Combine(dir.Path, "run"),
            ["OTHERIX_DEV_LOG_DIR"] = Path.Combine(dir.Path, "log"),
            ["OTHERIX_DEV_NO_SYSTEMD"] = "1",
            ["OTHERIX_DEV_SKIP_BUILD"] = "1",
            ["OTHERIX_CONFIG"] = Path.Combine(dir.Path, "cli", "config"),
            ["OTHERIX_CLI"] = Path.Combine(bin, "otherix"),
            ["OTHERIX_API_BIN"] = Path.Combine(bin, "otherix-api"),
            ["OTHERIX_AGENT_BIN"] = Path.Combine(bin, "otherix-agent"),
        };
        async Task<(int Exit, string Output)> ScriptAsync(string script)
        {
            using var run = ChildProcess.StartProgram("bash", [Path.Combine(RepoLayout.Root, "dev", "scripts", script)], env);
            var exit = await run.WaitAsync(Patience);
            TestContext.Out.WriteLine($"$ {script}\n{run.Output}");
            return (exit, run.Output);
        }

        async Task<(int Exit, string Output)> OtherixAsync(params string[] args)
        {
            using var cli = ChildProcess.Start("otherix.dll", args, new Dictionary<string, string> { ["OTHERIX_CONFIG"] = env["OTHERIX_CONFIG"] });
            var exit = await cli.WaitAsync(TimeSpan.FromMinutes(3));
            return (exit, cli.Output);
        }

        try
        {
            var first = await ScriptAsync("local-dev-start.sh");
            Assert.That(first.Exit, Is.Zero, first.Output);
            Assert.That(first.Output, Does.Contain("supervised (no systemd here)"));
            Assert.That(first.Output, Does.Match(@">> seed-dev complete\n   node     : node-dev \(id=[0-9a-f-]{36}\)\n   pool     : " + pool));
            Assert.That(first.Output, Does.Contain($"./bin/otherix vm create demo-vm --image-url http://127.0.0.1:{filesPort}/otherix-fixture.qcow2 --arch amd64"));

            // The CLI cluster seed-dev configured is the current one: no flags, no variables.
            var nodes = await OtherixAsync("node", "list");
            Assert.That(nodes.Output, Does.Match(@"NAME\s+ARCHITECTURE\s+STATUS\s+CORDONED\s+AGE\nnode-dev\s+amd64\s+ready\s+no\s+\d+[sm]\n"));

            // Safe to re-run: nothing restarted, the node keeps its certificate.
            var certificate = await File.ReadAllBytesAsync(Path.Combine(dir.Path, "state", "certs", "agent.crt"));
            var again = await ScriptAsync("local-dev-start.sh");
            Assert.That(again.Exit, Is.Zero, again.Output);
            Assert.That(again.Output, Does.Contain("control plane already answering").And.Contain("holds its certificate already").And.Contain("agent already running"));

            var created = await OtherixAsync("vm", "create", vm, "--image-url", $"http://127.0.0.1:{filesPort}/otherix-fixture.qcow2", "--arch", "amd64", "--vcpus", "1", "--memory-mb", "256", "--wait");
            Assert.That(created.Exit, Is.Zero, created.Output);
            Assert.That(created.Output, Does.Match(@"vm running task="));
            var list = await OtherixAsync("vm", "list");
            Assert.That(list.Output, Does.Match($@"{vm}\s+running\s+{pool}\s+otherix-fixture.qcow2"));
            Assert.That((await OtherixAsync("vm", "delete", vm, "--force", "--wait")).Exit, Is.Zero);

            var deployed = await ScriptAsync("deploy-dev.sh");
            Assert.That(deployed.Exit, Is.Zero, deployed.Output);
            Assert.That(deployed.Output, Does.Contain("agent stopped").And.Contain("node node-dev ready after the redeploy"));
            Assert.That(await File.ReadAllBytesAsync(Path.Combine(dir.Path, "state", "certs", "agent.crt")), Is.EqualTo(certificate), "the same certificate");

            var pids = Directory.GetFiles(Path.Combine(dir.Path, "run"), "*.pid").Select(f => int.Parse(File.ReadAllText(f).Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.That(pids, Has.Count.EqualTo(3), "api, agent and the file server");
            var stopped = await ScriptAsync("dev-stop.sh");
            Assert.That(stopped.Exit, Is.Zero, stopped.Output);
            Assert.That(Regex.Count(stopped.Output, " stopped"), Is.EqualTo(3), stopped.Output);
            Assert.That(pids.Where(pid => Directory.Exists($"/proc/{pid}")), Is.Empty, "every supervised process is gone");
        }
        finally
        {
            await ScriptAsync("dev-stop.sh");
            foreach (var args in new[] { new[] { "destroy", $"otx-{vm}" }, ["undefine", $"otx-{vm}", "--remove-all-storage"], ["pool-destroy", $"otx-{pool}"], ["pool-undefine", $"otx-{pool}"] })
            {
                await CommandRunner.RunAsync("virsh", new[] { "-c", LibvirtHost.SystemUri }.Concat(args), TimeSpan.FromSeconds(30));
            }
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
}
