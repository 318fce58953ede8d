using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary>A real agent process joins a real control-plane process over loopback and heartbeats.</summary>
public sealed class AgentJoinTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.IsSuccessStatusCode, Is.True, text);
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    [Test]
    public async Task Agent_BootstrapsWithAPinnedCa_ReachesReady_AndComesBackAfterAKill()
    {
        using var dir = new TempDirectory("otx-e2e-");
        var publicPort = FreePort();
        var agentPort = FreePort();
        using var api = ChildProcess.Start("otherix-api.dll", [], new Dictionary<string, string>
        {
            ["OTHERIX_SERVER__LISTEN"] = $"127.0.0.1:{publicPort}",
            ["OTHERIX_AGENT_SERVER__LISTEN"] = $"127.0.0.1:{agentPort}",
            ["OTHERIX_STORE__DATA_DIR"] = Path.Combine(dir.Path, "control"),
            ["OTHERIX_LOGGER__FORMAT"] = "text",
            ["OTHERIX_WORKERS__HEARTBEAT__INTERVAL"] = "1s",
            ["OTHERIX_WORKERS__HEARTBEAT__STALE_THRESHOLD"] = "3s",
            ["OTHERIX_BOOTSTRAP_ADMIN_EMAIL"] = "admin@otherix.test",
            ["OTHERIX_BOOTSTRAP_ADMIN_PASSWORD"] = "correct-horse-battery-staple",
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{publicPort}") };
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    return (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode;
                }
                catch (HttpRequestException)
                {
                    return HttpStatusCode.ServiceUnavailable;
                }
            },
            s => s == HttpStatusCode.OK || api.HasExited, TimeSpan.FromSeconds(30), "control plane ready");
        var login = await JsonAsync(await http.PostAsJsonAsync("/v1/auth/login", new { email = "admin@otherix.test", password = "correct-horse-battery-staple" }));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("access_token").GetString());
        var token = await JsonAsync(await http.PostAsJsonAsync("/v1/nodes/join-tokens", new { node_name = "e2e-node", ttl_seconds = 600 }));
        var fingerprint = token.GetProperty("ca_fingerprint").GetString()!;

        var agentDir = Path.Combine(dir.Path, "agent");
        Directory.CreateDirectory(agentDir);
        var config = Path.Combine(agentDir, "agent.yaml");
        await File.WriteAllTextAsync(config, $"""
            state_dir: {agentDir}/state
            libvirt_uri: "test:///default"
            control_plane:
              heartbeat_interval: 500ms
            server:
              advertised_endpoint: 127.0.0.1:9443
            """);
        await File.WriteAllTextAsync(Path.Combine(agentDir, "bootstrap-token"), token.GetProperty("token").GetString() + "\n");
        async Task WriteEnvAsync(string pin) => await File.WriteAllTextAsync(Path.Combine(agentDir, "bootstrap.env"), $"""
            # written by the test, as seed-dev would
            OTHERIX_BOOTSTRAP__CP_URL=https://127.0.0.1:{agentPort}
            OTHERIX_BOOTSTRAP__CA_FINGERPRINT={pin}
            OTHERIX_BOOTSTRAP__NODE_NAME=e2e-node
            """);

        // A wrong pin: the agent refuses, writes nothing, and the single-use token stays unused.
        var wrongPin = "sha256:" + new string('0', 64);
        await WriteEnvAsync(wrongPin);
        using (var refused = ChildProcess.Start("otherix-agent.dll", ["bootstrap", "--config", config], new Dictionary<string, string>()))
        {
            Assert.That(await refused.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(1), refused.Output);
            Assert.That(refused.Output, Does.Contain($"bootstrap: CA fingerprint mismatch (expected {wrongPin} got {fingerprint})"));
        }

        Assert.That(Directory.Exists(Path.Combine(agentDir, "state", "certs")), Is.False, "nothing written after a pin mismatch");

        await WriteEnvAsync(fingerprint);
        async Task<string> StatusAsync() => (await JsonAsync(await http.GetAsync(new Uri("/v1/nodes/e2e-node", UriKind.Relative)))).GetProperty("status").GetString()!;
        using (var agent = ChildProcess.Start("otherix-agent.dll", ["--config", config], new Dictionary<string, string>()))
        {
            await Poll.UntilAsync(
                async () => api.HasExited || agent.HasExited ? "exited" : (await http.GetAsync(new Uri("/v1/nodes/e2e-node", UriKind.Relative))).StatusCode == HttpStatusCode.OK ? await StatusAsync() : "absent",
                s => s is "ready" or "exited", TimeSpan.FromSeconds(30), "node ready");
            Assert.That(agent.HasExited, Is.False, agent.Output);
            Assert.That(agent.Output, Does.Contain("agent: bootstrap complete").And.Contain("agent: heartbeat accepted"));
            var node = await JsonAsync(await http.GetAsync(new Uri("/v1/nodes/e2e-node", UriKind.Relative)));
            Assert.That(node.GetProperty("cpu_cores_total").GetInt32(), Is.EqualTo(Environment.ProcessorCount));
            Assert.That(node.GetProperty("memory_total_mib").GetInt64(), Is.GreaterThan(0));
            Assert.That(File.GetUnixFileMode(Path.Combine(agentDir, "state", "certs", "agent.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            agent.Kill();
        }

        await Poll.UntilAsync(StatusAsync, s => s == "unreachable", TimeSpan.FromSeconds(20), "node unreachable after the agent died");

        using (var again = ChildProcess.Start("otherix-agent.dll", ["--config", config], new Dictionary<string, string>()))
        {
            await Poll.UntilAsync(StatusAsync, s => s == "ready", TimeSpan.FromSeconds(30), "node ready again");
            Assert.That(again.Output, Does.Contain("agent: using existing cert material"));
            Assert.That(await again.StopAsync(TimeSpan.FromSeconds(30)), Is.Zero, again.Output);
        }

        Assert.That(await api.StopAsync(TimeSpan.FromSeconds(30)), Is.Zero, api.Output);
    }
}
