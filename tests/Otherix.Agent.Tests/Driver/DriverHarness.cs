using Otherix.Agent.Driver;
using Otherix.Agent.Images;
using Otherix.Agent.Templates;
using Otherix.Native;
using Otherix.Testing;

namespace Otherix.Agent.Tests.Driver;

/// <summary>A driver on the real qemu:///system with a private state directory and pool, the fixture served over loopback HTTP.</summary>
internal sealed class DriverHarness : IAsyncDisposable
{
    private DriverHarness(string root, LoopbackFileServer server, LibvirtVmDriver driver, string poolName)
    {
        Root = root;
        Server = server;
        Driver = driver;
        PoolName = poolName;
    }

    public string Root { get; }

    public LoopbackFileServer Server { get; }

    public LibvirtVmDriver Driver { get; }

    public string PoolName { get; }

    /// <summary>The pool every test starts with, as <see cref="LibvirtVmDriver.EnsurePool"/> first reported it.</summary>
    public PoolStatus Pool { get; private set; } = null!;

    public string PoolPath => Path.Combine(Root, "pool");

    public AgentPaths Paths => new(Path.Combine(Root, "state"));

    public string FixtureUrl => new Uri(Server.BaseAddress, "fixture.qcow2").ToString();

    public static async Task<DriverHarness> StartAsync()
    {
        LibvirtHost.RequireSystem();
        RepoLayout.RequireFixtureImage();
        var id = Guid.NewGuid().ToString("N")[..8];
        var root = Path.Combine("/var/tmp", $"otx-agent-{id}");
        Directory.CreateDirectory(root, (UnixFileMode)0b111_101_101);
        var server = await LoopbackFileServer.StartAsync();
        server.Serve("fixture.qcow2", RepoLayout.FixtureImage);
        var driver = NewDriver(new AgentPaths(Path.Combine(root, "state")));
        var harness = new DriverHarness(root, server, driver, $"t{id}");
        harness.Pool = driver.EnsurePool(new PoolSpec(harness.PoolName, harness.PoolPath));
        return harness;
    }

    /// <summary>A driver as the agent would make it (TCG forced, 5 s stall timeout); also what a restarted agent gets.</summary>
    public static LibvirtVmDriver NewDriver(AgentPaths paths) =>
        new(
            () => Connection.Open(LibvirtHost.SystemUri),
            new XmlTemplateRenderer(Path.Combine(RepoLayout.Root, "templates")),
            paths,
            new HttpClient { Timeout = Timeout.InfiniteTimeSpan },
            TimeProvider.System,
            new AccelerationProbe(paths, TimeProvider.System) { Forced = "qemu" },
            new ImageCacheOptions { StallTimeout = TimeSpan.FromSeconds(5) });

    public VmSpec Spec(string name, string? userData = null, string owner = "alice") =>
        new(Guid.NewGuid(), name, PoolName, FixtureUrl, Arch: "x86_64", Vcpus: 1, MemoryMib: 256, UserData: userData, Owner: owner);

    public Task<string> ConsoleLogAsync(Guid id, Func<string, bool> done, TimeSpan? deadline = null) =>
        ConsoleLogFile.WaitForAsync(
            Path.Combine(Paths.VmDirectory(id), "console.log"), done, deadline ?? TimeSpan.FromSeconds(120), $"expected text in the console log of {id}");

    public static async Task<string> Virsh(params string[] args) => (await FixtureVm.VirshAsync(args)).StandardOutput.Trim();

    public async ValueTask DisposeAsync()
    {
        // Whatever a test left: every VM of ours, then the pool, then the files.
        foreach (var vm in Driver.ListVms())
        {
            Driver.DeleteVm(vm.Id, force: true);
        }

        try
        {
            Driver.DeletePool(PoolName);
        }
        catch (VmDriverException)
        {
            // Reported by the test itself where it matters.
        }

        Driver.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
