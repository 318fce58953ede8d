using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary>
/// A real agent process on the real libvirtd (TCG), joined to a <see cref="TestCluster"/> and ready, its
/// default pool made. Disposing stops it first (it re-creates declared pools while it runs), then removes
/// with plain virsh every domain and pool the test named, whatever state the test left them in.
/// </summary>
internal sealed class LibvirtAgent : IAsyncDisposable
{
    private readonly TestCluster _cluster;

    private LibvirtAgent(TestCluster cluster, string node, string config, string endpoint)
    {
        _cluster = cluster;
        Node = node;
        Config = config;
        Endpoint = endpoint;
        Process = Launch();
    }

    public string Node { get; }

    public string Config { get; }

    /// <summary>host:port of its gRPC server.</summary>
    public string Endpoint { get; }

    public ChildProcess Process { get; private set; }

    /// <summary>VM names (without <c>otx-</c>) to remove at the end.</summary>
    public List<string> Domains { get; } = [];

    /// <summary>Pool names (without <c>otx-</c>) to remove at the end; the cluster's default pool is always removed.</summary>
    public List<string> Pools { get; } = [TestCluster.DefaultPoolName];

    public static async Task<LibvirtAgent> StartAsync(TestCluster cluster, string node)
    {
        LibvirtHost.RequireSystem();
        var endpoint = $"127.0.0.1:{TestCluster.FreePort()}";
        var (config, _) = await cluster.PrepareAgentAsync(node, $"acceleration: tcg\nserver:\n  listen: {endpoint}\n  advertised_endpoint: {endpoint}\n");
        var agent = new LibvirtAgent(cluster, node, config, endpoint);
        try
        {
            await agent.WaitReadyAsync();
            return agent;
        }
        catch
        {
            await agent.DisposeAsync(); // never leave an agent running behind a failed test
            throw;
        }
    }

    /// <summary>The serial console log of a VM on this node.</summary>
    public string ConsoleLogOf(string vmId) => Path.Combine(Path.GetDirectoryName(Config)!, "state", "vms", vmId, "console.log");

    /// <summary>Starts the agent again after <see cref="ChildProcess.Kill"/> and waits until its node is ready.</summary>
    public async Task RestartAsync()
    {
        Process.Dispose();
        Process = Launch();
        await WaitReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Process.StopAsync(TimeSpan.FromSeconds(30));
        TestContext.Out.WriteLine(Process.Output);
        Process.Dispose();
        await LibvirtHost.RemoveOtherixObjectsAsync(Domains, Pools);
    }

    private ChildProcess Launch() => ChildProcess.Start("otherix-agent.dll", ["--config", Config], new Dictionary<string, string>());

    private async Task WaitReadyAsync()
    {
        await _cluster.WaitForStatusAsync(Node, "ready", Process);
        // The pool record appears with the first heartbeat (just after the node turns ready): 404 until then.
        await Poll.UntilAsync(
            async () =>
            {
                using var response = await _cluster.Http.GetAsync(new Uri($"/v1/storage-pools/{TestCluster.DefaultPoolName}", UriKind.Relative));
                return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "";
            },
            text => text.Length > 0 && System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("instances").EnumerateArray()
                .Any(i => i.GetProperty("node").GetString() == Node && i.GetProperty("reconciliation_status").GetString() == "ready"),
            TimeSpan.FromSeconds(30), "default pool ready on the node");
    }
}
