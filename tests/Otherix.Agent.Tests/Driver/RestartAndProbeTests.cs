using Microsoft.Extensions.Logging.Testing;
using Otherix.Agent.Driver;
using Otherix.Agent.Templates;
using Otherix.Native;
using Otherix.Testing;

namespace Otherix.Agent.Tests.Driver;

[NonParallelizable]
public sealed class RestartAndProbeTests
{
    [Test]
    public async Task NewDriverInstance_SeesTheVmsOfThePreviousOne()
    {
        await using var h = await DriverHarness.StartAsync();
        var spec = h.Spec("keep-1");
        await h.Driver.CreateVmAsync(spec, "task-k");

        // An agent restart: a fresh driver with the same state directory and nothing in memory.
        using var restarted = DriverHarness.NewDriver(h.Paths);

        var seen = restarted.ListVms().Single();
        Assert.That((seen.Id, seen.Name, seen.State, seen.Pool), Is.EqualTo((spec.Id, "keep-1", VmState.Running, h.PoolName)));
        Assert.That(restarted.ScanPool(h.PoolName).Images.Single().Name, Is.EqualTo("fixture.qcow2"));
    }

    [Test]
    public async Task LibvirtdRestart_NothingIsLost_AndTheDriverReconnects()
    {
        await using var h = await DriverHarness.StartAsync();
        var spec = h.Spec("survive-1");
        await h.Driver.CreateVmAsync(spec, "task-s");

        await LibvirtHost.RestartDaemonAsync();

        var after = h.Driver.ListVms().Single();
        Assert.That((after.Id, after.State, after.Pool), Is.EqualTo((spec.Id, VmState.Running, h.PoolName)));
        await h.Driver.ActAsync(spec.Id, VmAction.Pause, "task-p");
        Assert.That(await DriverHarness.Virsh("domstate", "otx-survive-1"), Is.EqualTo("paused"));
        Assert.That(h.Driver.ScanPool(h.PoolName).Images.Single().Name, Is.EqualTo("fixture.qcow2"));
    }

    [Test]
    public async Task AccelerationProbe_AgreesWithTheHostProbe()
    {
        await using var h = await DriverHarness.StartAsync();
        var hostVerdict = (await CommandRunner.RunAsync(Path.Combine(RepoLayout.Root, "tools", "host", "accel-probe.sh"), [RepoLayout.FixtureImage], TimeSpan.FromSeconds(60)))
            .EnsureSuccess("accel-probe.sh").StandardOutput.Trim();
        var log = new FakeLogger<AccelerationProbe>();
        var probe = new AccelerationProbe(new AgentPaths(Path.Combine(h.Root, "probe-state")), TimeProvider.System, log);
        using var connection = Connection.Open(LibvirtHost.SystemUri);
        using var pool = connection.LookupStoragePoolByName($"otx-{h.PoolName}");

        var renderer = new XmlTemplateRenderer(Path.Combine(RepoLayout.Root, "templates"));
        var verdict = await probe.DomainTypeAsync(connection, renderer, ArchProfile.X8664, pool, RepoLayout.FixtureImage, "qcow2", CancellationToken.None);
        var again = await probe.DomainTypeAsync(connection, renderer, ArchProfile.X8664, pool, RepoLayout.FixtureImage, "qcow2", CancellationToken.None);

        Assert.That(again, Is.EqualTo(verdict));
        var logged = log.Collector.GetSnapshot();
        Assert.That(logged, Has.Count.EqualTo(1), "the verdict is logged once");
        TestContext.Out.WriteLine(logged[0].Message);
        Assert.That(logged[0].Message, Does.StartWith($"Guests run with domain type {verdict}: "));

        Assert.That(verdict, Is.EqualTo(hostVerdict == "kvm" ? "kvm" : "qemu"));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(h.Root, "probe-state", "acceleration")), Does.EndWith($" {verdict}\n"));
        Assert.That(await DriverHarness.Virsh("list", "--all", "--name"), Does.Not.Contain("otx-accel-probe"));
        Assert.That(await DriverHarness.Virsh("vol-list", $"otx-{h.PoolName}"), Does.Not.Contain("otx-accel-probe"));
    }
}
