using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary>A real control-plane process on loopback, logged in as its bootstrap admin, and helpers to join real agent processes to it.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;

    private TestCluster(TempDirectory dir, ChildProcess api, HttpClient http, int agentPort, Dictionary<string, string> environment)
    {
        Dir = dir;
        Api = api;
        Http = http;
        AgentListenerPort = agentPort;
        _environment = environment;
    }

    public TempDirectory Dir { get; }

    public ChildProcess Api { get; private set; }

    /// <summary>The public REST API, with the admin's token.</summary>
    public HttpClient Http { get; }

    /// <summary>The admin's access token.</summary>
    public string AdminToken => Http.DefaultRequestHeaders.Authorization!.Parameter!;

    public int AgentListenerPort { get; }

    /// <summary>The default pool of every test cluster: unique, so tests never touch a developer's own pools.</summary>
    public static string DefaultPoolName { get; } = "e2edef" + Guid.NewGuid().ToString("N")[..6];

    public string ControlDataDir => Path.Combine(Dir.Path, "control");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the control plane; its and its agents' files go under <paramref name="root"/> (/var/tmp when qemu must read pools there).</summary>
    public static async Task<TestCluster> StartAsync(string root = "/tmp")
    {
        var dir = new TempDirectory(root, "otx-e2e-", (UnixFileMode)0b111_101_101);
        var publicPort = FreePort();
        var agentPort = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["OTHERIX_SERVER__LISTEN"] = $"127.0.0.1:{publicPort}",
            ["OTHERIX_AGENT_SERVER__LISTEN"] = $"127.0.0.1:{agentPort}",
            ["OTHERIX_STORE__DATA_DIR"] = Path.Combine(dir.Path, "control"),
            ["OTHERIX_LOGGER__FORMAT"] = "text",
            ["OTHERIX_WORKERS__HEARTBEAT__INTERVAL"] = "1s",
            ["OTHERIX_WORKERS__HEARTBEAT__STALE_THRESHOLD"] = "3s",
            ["OTHERIX_STORAGE_POOLS__DEFAULT_POOL_DIR"] = Path.Combine(dir.Path, "pools"),
            ["OTHERIX_STORAGE_POOLS__DEFAULT_POOL_NAME"] = DefaultPoolName,
            ["OTHERIX_STORAGE_POOLS__ALLOWED_PATH_PREFIXES"] = Path.Combine(dir.Path, "pools") + "/",
            ["OTHERIX_BOOTSTRAP_ADMIN_EMAIL"] = "admin@otherix.test",
            ["OTHERIX_BOOTSTRAP_ADMIN_PASSWORD"] = "correct-horse-battery-staple",
        };
        var api = ChildProcess.Start("otherix-api.dll", [], environment);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{publicPort}") };
        try
        {
            await Poll.UntilOkAsync(http, "/readyz", () => api.HasExited, TimeSpan.FromSeconds(30), "control plane ready");
            Assert.That(api.HasExited, Is.False, api.Output);
        }
        catch
        {
            api.Dispose();
            http.Dispose();
            dir.Dispose();
            throw;
        }

        var login = await JsonAsync(await http.PostAsJsonAsync("/v1/auth/login", new { email = "admin@otherix.test", password = "correct-horse-battery-staple" }));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("access_token").GetString());
        return new TestCluster(dir, api, http, agentPort, environment);
    }

    /// <summary>SIGKILLs the control plane (no chance to finish anything) and starts it again on the same state and ports.</summary>
    public async Task CrashAndRestartAsync()
    {
        Api.Kill();
        Api.Dispose();
        Api = ChildProcess.Start("otherix-api.dll", [], _environment);
        await Poll.UntilOkAsync(Http, "/readyz", () => Api.HasExited, TimeSpan.FromSeconds(30), "control plane ready again");
        Assert.That(Api.HasExited, Is.False, Api.Output);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.IsSuccessStatusCode, Is.True, text);
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    /// <summary>Mints a token for <paramref name="node"/> and writes an agent's config dir as seed-dev would; returns the agent.yaml path and the CA fingerprint.</summary>
    public async Task<(string Config, string Fingerprint)> PrepareAgentAsync(string node, string extraYaml = "")
    {
        var token = await JsonAsync(await Http.PostAsJsonAsync("/v1/nodes/join-tokens", new { node_name = node, ttl_seconds = 600 }));
        var fingerprint = token.GetProperty("ca_fingerprint").GetString()!;
        var agentDir = Path.Combine(Dir.Path, node);
        Directory.CreateDirectory(agentDir);
        var config = Path.Combine(agentDir, "agent.yaml");
        await File.WriteAllTextAsync(config, $"state_dir: {agentDir}/state\ncontrol_plane:\n  heartbeat_interval: 500ms\n{extraYaml}");
        await File.WriteAllTextAsync(Path.Combine(agentDir, "bootstrap-token"), token.GetProperty("token").GetString() + "\n");
        await WriteBootstrapEnvAsync(node, fingerprint);
        return (config, fingerprint);
    }

    public Task WriteBootstrapEnvAsync(string node, string pin) => File.WriteAllTextAsync(Path.Combine(Dir.Path, node, "bootstrap.env"), $"""
        # written by the test, as seed-dev would
        OTHERIX_BOOTSTRAP__CP_URL=https://127.0.0.1:{AgentListenerPort}
        OTHERIX_BOOTSTRAP__CA_FINGERPRINT={pin}
        OTHERIX_BOOTSTRAP__NODE_NAME={node}
        """);

    public async Task<string> NodeStatusAsync(string node)
    {
        using var response = await Http.GetAsync(new Uri($"/v1/nodes/{node}", UriKind.Relative));
        return response.StatusCode == HttpStatusCode.OK ? (await JsonAsync(response)).GetProperty("status").GetString()! : "absent";
    }

    /// <summary>Waits until <paramref name="node"/> has <paramref name="status"/> (or a process died).</summary>
    public Task WaitForStatusAsync(string node, string status, ChildProcess? agent = null, int seconds = 30) =>
        Poll.UntilAsync(
            async () => Api.HasExited || agent?.HasExited == true ? "exited" : await NodeStatusAsync(node),
            s => s == status || s == "exited", TimeSpan.FromSeconds(seconds), $"node {node} {status}")
        .ContinueWith(t =>
        {
            Assert.That(t.Result, Is.EqualTo(status), $"api: {Api.Output}\nagent: {agent?.Output}");
        }, TaskScheduler.Default);

    public async ValueTask DisposeAsync()
    {
        await Api.StopAsync(TimeSpan.FromSeconds(30));
        Api.Dispose();
        Http.Dispose();
        Dir.Dispose();
    }
}
