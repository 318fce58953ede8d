using Otherix.EndToEnd.Tests.Cluster;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Dev;

/// <summary>
/// A dev cluster made by the repository's own dev scripts (<c>dev/scripts/*.sh</c>), moved to free
/// loopback ports and a temporary directory through the scripts' variables, so a developer's own
/// dev cluster on the same machine is untouched. The programs are the ones next to the tests, behind
/// <c>bin/</c>-like wrappers. Disposing runs <c>dev-stop.sh</c> and removes with plain virsh what the
/// test named.
/// </summary>
internal sealed class DevCluster : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _dir;
    private readonly Dictionary<string, string> _env;

    private DevCluster(TempDirectory dir, Dictionary<string, string> env, string pool, int filesPort)
    {
        _dir = dir;
        _env = env;
        Pool = pool;
        ImageUrl = $"http://127.0.0.1:{filesPort}/otherix-fixture.qcow2";
    }

    /// <summary>The cluster's default pool (unique, so libvirt's <c>otx-&lt;pool&gt;</c> never collides).</summary>
    public string Pool { get; }

    /// <summary>The fixture image on the file server local-dev-start started.</summary>
    public string ImageUrl { get; }

    /// <summary>The temporary directory holding everything.</summary>
    public string Root => _dir.Path;

    /// <summary>The agent's state directory.</summary>
    public string StateDir => Path.Combine(_dir.Path, "state");

    /// <summary>The control plane's public URL.</summary>
    public string Server => _env["OTHERIX_DEV_SERVER"];

    /// <summary>VM names (without <c>otx-</c>) to remove at the end.</summary>
    public List<string> Domains { get; } = [];

    /// <summary>Prepares directories, wrappers and configs; starts nothing.</summary>
    public static async Task<DevCluster> PrepareAsync()
    {
        LibvirtHost.RequireSystem();
        RepoLayout.RequireFixtureImage();
        HostRequirement.RequireTools("jq", "curl", "busybox", "setsid");

        // qemu must traverse the state and pool directories.
        var dir = new TempDirectory("/var/tmp", "otx-dev-", (UnixFileMode)0b111_101_101);
        var pool = $"devp-{Guid.NewGuid().ToString("N")[..6]}";
        var (apiPort, agentListener, agentPort, filesPort) = (TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort());
        var bin = Directory.CreateDirectory(Path.Combine(dir.Path, "bin")).FullName;
        foreach (var name in new[] { "otherix", "otherix-api", "otherix-agent" })
        {
            ChildProcess.WriteLauncher(bin, name, name + ".dll");
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
        return new DevCluster(dir, env, pool, filesPort);
    }

    /// <summary>Runs <c>dev/scripts/&lt;script&gt;</c>; its output goes to the test log too.</summary>
    public async Task<(int Exit, string Output)> ScriptAsync(string script)
    {
        using var run = ChildProcess.StartProgram("bash", [Path.Combine(RepoLayout.Root, "dev", "scripts", script)], _env);
        var exit = await run.WaitAsync(Patience);
        TestContext.Out.WriteLine($"$ {script}\n{run.Output}");
        return (exit, run.Output);
    }

    /// <summary>The CLI with the config seed-dev wrote, and nothing else: no flags, no variables.</summary>
    public async Task<(int Exit, string Output)> OtherixAsync(params string[] args) => await OtherixAsAsync(null, args);

    /// <summary>The CLI with <paramref name="token"/> (another user) instead of the stored cluster's token.</summary>
    public async Task<(int Exit, string Output)> OtherixAsAsync(string? token, params string[] args)
    {
        var env = new Dictionary<string, string> { ["OTHERIX_CONFIG"] = _env["OTHERIX_CONFIG"] };
        if (token is not null)
        {
            env["OTHERIX_API_TOKEN"] = token;
        }

        using var cli = ChildProcess.Start("otherix.dll", args, env);
        var exit = await cli.WaitAsync(TimeSpan.FromMinutes(3));
        return (exit, cli.Output);
    }

    /// <summary>PIDs from the run directory's PID files.</summary>
    public IReadOnlyList<int> Pids() =>
        Directory.Exists(Path.Combine(Root, "run"))
            ? Directory.GetFiles(Path.Combine(Root, "run"), "*.pid").Select(f => int.Parse(File.ReadAllText(f).Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToList()
            : [];

    public async ValueTask DisposeAsync()
    {
        await ScriptAsync("dev-stop.sh");
        await LibvirtHost.RemoveOtherixObjectsAsync(Domains, [Pool]);
        _dir.Dispose();
    }
}
